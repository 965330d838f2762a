// Normalization in inference: BatchNormalization with random moving statistics (the generator
// keeps variances positive), with and without center/scale; LayerNormalization. BatchNormalization
// on an axis other than the last is not here: tfjs's batchNorm kernel picks each value's statistic
// by flat index modulo the number of channels, right for the last axis only (an axis-1 case gave
// exactly that), so that case is tested in C# against the same layer on transposed data.
module.exports = helpers => {
  const { tf } = helpers;
  const chain = require('../chain')(helpers);
  return [
    chain('batch_normalization_conv', [5, 4, 3], [
      ['conv', name => tf.layers.conv2d({ name, filters: 4, kernelSize: 3, useBias: false }), 'Conv2D', { filters: 4, kernel_size: 3, use_bias: false }],
      ['bn', name => tf.layers.batchNormalization({ name }), 'BatchNormalization', { axis: -1, momentum: 0.99, epsilon: 0.001 }],
      ['act', name => tf.layers.activation({ name, activation: 'relu' }), 'Activation', { activation: 'relu' }],
    ]),
    chain('batch_normalization_dense_epsilon', [6], [
      ['bn', name => tf.layers.batchNormalization({ name, epsilon: 0.1, center: false }), 'BatchNormalization', { epsilon: 0.1, center: false }],
    ]),
    chain('layer_normalization', [4, 6], [
      ['ln', name => tf.layers.layerNormalization({ name }), 'LayerNormalization', { axis: -1, epsilon: 0.001 }],
    ]),
    chain('layer_normalization_two_axes', [3, 4, 2], [
      ['ln', name => tf.layers.layerNormalization({ name, axis: [1, 2], epsilon: 0.01 }), 'LayerNormalization', { axis: [1, 2], epsilon: 0.01 }],
    ]),
  ];
};

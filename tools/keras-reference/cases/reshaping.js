// Flatten (rows, cols, channels order) into Dense, Reshape with an inferred size, Permute,
// LeakyReLU, and Dropout (the identity in inference).
module.exports = helpers => {
  const { tf } = helpers;
  const chain = require('../chain')(helpers);
  return [
    chain('flatten_dense', [3, 4, 2], [
      ['conv', name => tf.layers.conv2d({ name, filters: 3, kernelSize: 2 }), 'Conv2D', { filters: 3, kernel_size: 2 }],
      ['flat', name => tf.layers.flatten({ name }), 'Flatten', { data_format: 'channels_last' }],
      ['dense', name => tf.layers.dense({ name, units: 2 }), 'Dense', { units: 2 }],
    ]),
    chain('reshape_permute', [6, 4], [
      ['reshape', name => tf.layers.reshape({ name, targetShape: [-1, 4, 2] }), 'Reshape', { target_shape: [-1, 4, 2] }],
      ['permute', name => tf.layers.permute({ name, dims: [3, 1, 2] }), 'Permute', { dims: [3, 1, 2] }],
      ['dense', name => tf.layers.dense({ name, units: 3 }), 'Dense', { units: 3 }],
    ]),
    chain('leaky_relu_dropout', [5], [
      ['dense', name => tf.layers.dense({ name, units: 6 }), 'Dense', { units: 6 }],
      ['leaky', name => tf.layers.leakyReLU({ name, alpha: 0.1 }), 'LeakyReLU', { negative_slope: 0.1 }],
      ['drop', name => tf.layers.dropout({ name, rate: 0.5 }), 'Dropout', { rate: 0.5, noise_shape: null, seed: null }],
      ['leaky2', name => tf.layers.leakyReLU({ name }), 'LeakyReLU', {}],
    ]),
  ];
};

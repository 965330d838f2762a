// Convolutions: TensorFlow's "same" padding (the odd cell at the bottom/right when the stride is
// 2), dilation, Conv1D's causal padding, separable and depthwise convolutions, and Embedding
// feeding a Conv1D. tfjs has no grouped convolutions (groups): those are tested in C# against
// separate convolutions on each group of channels. tfjs cannot run padding 'causal' either
// ("not implemented yet"): its model pads the sequence with dilation·(kernel − 1) zeros in front
// (Keras's _compute_causal_padding) and convolves 'valid', which is what causal means.
module.exports = helpers => {
  const { tf, randomTensor } = helpers;
  const chain = require('../chain')(helpers);
  const causal = (name, steps, channels, args) => ({
    name,
    build() {
      const x = tf.input({ shape: [steps, channels], name: 'x' });
      const front = args.dilationRate * (args.kernelSize - 1);
      let y = tf.layers.reshape({ targetShape: [steps, 1, channels] }).apply(x);
      y = tf.layers.zeroPadding2d({ padding: [[front, 0], [0, 0]] }).apply(y);
      y = tf.layers.reshape({ targetShape: [steps + front, channels] }).apply(y);
      y = tf.layers.conv1d({ name: 'conv', ...args, padding: 'valid' }).apply(y);
      return tf.model({ inputs: x, outputs: y });
    },
    inputs: random => [randomTensor([2, steps, channels], random)],
    graph: {
      name,
      inputs: [{ name: 'x', shape: [steps, channels] }],
      nodes: [{
        name: 'conv',
        type: 'Conv1D',
        config: { filters: args.filters, kernel_size: args.kernelSize, dilation_rate: args.dilationRate, padding: 'causal' },
        inputs: ['x'],
      }],
      outputs: ['conv'],
    },
  });
  const conv2d = args => name => tf.layers.conv2d({ name, ...args });
  const conv1d = args => name => tf.layers.conv1d({ name, ...args });
  return [
    chain('conv2d_same_stride2_odd', [7, 7, 3], [
      ['conv', conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        'Conv2D', { filters: 4, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }],
    ]),
    chain('conv2d_same_stride2_even', [8, 6, 2], [
      ['conv', conv2d({ filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same' }),
        'Conv2D', { filters: 3, kernel_size: [3, 2], strides: [2, 2], padding: 'same' }],
    ]),
    chain('conv2d_same_even_kernel', [5, 5, 2], [
      ['conv', conv2d({ filters: 2, kernelSize: 4, padding: 'same', useBias: false }),
        'Conv2D', { filters: 2, kernel_size: [4, 4], padding: 'same', use_bias: false }],
    ]),
    chain('conv2d_valid_dilated', [9, 8, 2], [
      ['conv', conv2d({ filters: 3, kernelSize: 3, dilationRate: [2, 3], activation: 'tanh' }),
        'Conv2D', { filters: 3, kernel_size: 3, dilation_rate: [2, 3], activation: 'tanh', data_format: 'channels_last' }],
    ]),
    chain('conv2d_valid_stride_rect', [9, 7, 3], [
      ['conv', conv2d({ filters: 2, kernelSize: [3, 1], strides: [2, 3] }),
        'Conv2D', { filters: 2, kernel_size: [3, 1], strides: [2, 3], padding: 'valid' }],
    ]),
    causal('conv1d_causal_dilated', 9, 3, { filters: 4, kernelSize: 3, dilationRate: 2 }),
    causal('conv1d_causal', 6, 2, { filters: 3, kernelSize: 4, dilationRate: 1 }),
    chain('conv1d_same_stride2', [9, 3], [
      ['conv', conv1d({ filters: 2, kernelSize: 4, strides: 2, padding: 'same', activation: 'sigmoid' }),
        'Conv1D', { filters: 2, kernel_size: 4, strides: 2, padding: 'same', activation: 'sigmoid' }],
    ]),
    chain('separable_conv2d_dm2_same_stride2', [7, 6, 3], [
      ['sep', name => tf.layers.separableConv2d({ name, filters: 5, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }),
        'SeparableConv2D', { filters: 5, kernel_size: [3, 3], depth_multiplier: 2, strides: [2, 2], padding: 'same' }],
    ]),
    chain('separable_conv2d_valid_dilated_no_bias', [8, 8, 2], [
      ['sep', name => tf.layers.separableConv2d({ name, filters: 3, kernelSize: 2, dilationRate: 2, useBias: false, activation: 'relu' }),
        'SeparableConv2D', { filters: 3, kernel_size: 2, dilation_rate: 2, use_bias: false, activation: 'relu' }],
    ]),
    chain('depthwise_conv2d_dm3', [6, 5, 2], [
      ['dw', name => tf.layers.depthwiseConv2d({ name, kernelSize: 3, depthMultiplier: 3 }),
        'DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 3 }],
    ]),
    chain('depthwise_conv2d_same_stride2', [7, 8, 3], [
      ['dw', name => tf.layers.depthwiseConv2d({ name, kernelSize: [3, 3], strides: 2, padding: 'same' }),
        'DepthwiseConv2D', { kernel_size: [3, 3], strides: [2, 2], padding: 'same' }],
    ]),
    chain('embedding_conv1d', [7], [
      ['emb', name => tf.layers.embedding({ name, inputDim: 11, outputDim: 4 }),
        'Embedding', { input_dim: 11, output_dim: 4 }],
      ['conv', conv1d({ filters: 3, kernelSize: 3, activation: 'relu' }),
        'Conv1D', { filters: 3, kernel_size: 3, activation: 'relu' }],
      ['pool', name => tf.layers.globalMaxPooling1d({ name }),
        'GlobalMaxPooling1D', {}],
    ], { dtype: 'int32', vocabulary: 11 }),
  ];
};

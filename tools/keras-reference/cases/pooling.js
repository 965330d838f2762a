// Pooling, valid and same, max and average, 1D and 2D, and the global pools. "same" pools at
// stride 2 on odd sizes pad one cell at the end only, which averages must leave out.
module.exports = helpers => {
  const { tf } = helpers;
  const chain = require('../chain')(helpers);
  const pool = (factory, type, args, config) => ['pool', name => tf.layers[factory]({ name, ...args }), type, config];
  return [
    chain('max_pooling2d_valid', [7, 6, 3], [
      pool('maxPooling2d', 'MaxPooling2D', { poolSize: 2 }, { pool_size: [2, 2] }),
    ]),
    chain('max_pooling2d_same_stride2', [7, 6, 2], [
      pool('maxPooling2d', 'MaxPooling2D', { poolSize: 3, strides: 2, padding: 'same' }, { pool_size: [3, 3], strides: [2, 2], padding: 'same' }),
    ]),
    chain('average_pooling2d_same_stride2', [7, 6, 2], [
      pool('averagePooling2d', 'AveragePooling2D', { poolSize: 3, strides: 2, padding: 'same' }, { pool_size: 3, strides: 2, padding: 'same' }),
    ]),
    chain('average_pooling2d_same_stride1', [5, 4, 2], [
      pool('averagePooling2d', 'AveragePooling2D', { poolSize: [3, 2], strides: 1, padding: 'same' }, { pool_size: [3, 2], strides: 1, padding: 'same' }),
    ]),
    chain('average_pooling2d_valid_strides', [8, 7, 2], [
      pool('averagePooling2d', 'AveragePooling2D', { poolSize: [3, 2], strides: [2, 1] }, { pool_size: [3, 2], strides: [2, 1], padding: 'valid' }),
    ]),
    chain('max_pooling1d_valid', [9, 3], [
      pool('maxPooling1d', 'MaxPooling1D', { poolSize: 3 }, { pool_size: 3 }),
    ]),
    chain('max_pooling1d_same_stride2', [9, 3], [
      pool('maxPooling1d', 'MaxPooling1D', { poolSize: 2, strides: 2, padding: 'same' }, { pool_size: 2, strides: 2, padding: 'same' }),
    ]),
    chain('average_pooling1d_same', [9, 2], [
      pool('averagePooling1d', 'AveragePooling1D', { poolSize: 4, strides: 3, padding: 'same' }, { pool_size: 4, strides: 3, padding: 'same' }),
    ]),
    chain('average_pooling1d_valid', [8, 2], [
      pool('averagePooling1d', 'AveragePooling1D', { poolSize: 2 }, { pool_size: 2, strides: null }),
    ]),
    chain('global_pools_2d', [5, 4, 3], [
      ['conv', name => tf.layers.conv2d({ name, filters: 4, kernelSize: 2 }), 'Conv2D', { filters: 4, kernel_size: 2 }],
      pool('globalAveragePooling2d', 'GlobalAveragePooling2D', {}, {}),
    ]),
    chain('global_max_pooling2d', [5, 4, 3], [
      pool('globalMaxPooling2d', 'GlobalMaxPooling2D', {}, { data_format: 'channels_last', keepdims: false }),
    ]),
    chain('global_average_pooling1d', [6, 3], [
      pool('globalAveragePooling1d', 'GlobalAveragePooling1D', {}, {}),
    ]),
  ];
};

// Recurrent layers and wrappers: LSTM, GRU, SimpleRNN, Bidirectional, TimeDistributed, a shared LSTM.
// TensorFlow.js defaults recurrent_activation to hard_sigmoid (Keras 2); Keras 3 to sigmoid. Every
// case states it, and tfjs's hard_sigmoid (clip(0.2x + 0.5, 0, 1)) is our "hard_sigmoid_keras2".
// tfjs has no GRU with reset_after=true (Keras 3's default): those cases come from plain/gru.js.
const { plainGruModel } = require('../plain/gru');

module.exports = ({ tf, randomTensor }) => {
  const T = 5;
  const F = 3;
  const seq = (name, time = T, features = F) => ({ name, shape: [time, features] });
  const one = (name, time = T, features = F) => tf.input({ shape: [time, features], name });
  const sequenceInput = shape => random => [randomTensor(shape, random)];

  // One recurrent layer on one sequence input; `outputs` lists every output of the node.
  function single(name, make, type, config, outputs = 1) {
    return {
      name,
      build() {
        const x = one('x');
        let y = make().apply(x);
        return tf.model({ inputs: x, outputs: y });
      },
      inputs: sequenceInput([2, T, F]),
      graph: {
        name,
        inputs: [seq('x')],
        nodes: [{ name: 'rnn', type, config, inputs: ['x'] }],
        outputs: Array.from({ length: outputs }, (_, k) => (k === 0 ? 'rnn' : `rnn:${k}`)),
      },
    };
  }

  const lstm = (args, name = 'rnn') => () => tf.layers.lstm({ name, recurrentActivation: 'sigmoid', ...args });
  const gru = (args, name = 'rnn') => () => tf.layers.gru({ name, recurrentActivation: 'sigmoid', ...args });
  const simple = (args, name = 'rnn') => () => tf.layers.simpleRNN({ name, ...args });

  const bidirectional = (name, inner, innerType, innerConfig, mergeMode, outputs = 1) => ({
    name,
    build() {
      const x = one('x');
      const args = { layer: inner(), name: 'rnn' };
      if (mergeMode !== undefined) args.mergeMode = mergeMode;
      const y = tf.layers.bidirectional(args).apply(x);
      return tf.model({ inputs: x, outputs: y });
    },
    inputs: sequenceInput([2, T, F]),
    graph: {
      name,
      inputs: [seq('x')],
      nodes: [{
        name: 'rnn',
        type: 'Bidirectional',
        config: { layer: { type: innerType, config: innerConfig }, ...(mergeMode !== undefined ? { merge_mode: mergeMode } : {}) },
        inputs: ['x'],
      }],
      outputs: Array.from({ length: outputs }, (_, k) => (k === 0 ? 'rnn' : `rnn:${k}`)),
    },
  });

  return [
    single('lstm_last', lstm({ units: 4 }), 'LSTM', { units: 4 }),
    single('lstm_sequences_backwards', lstm({ units: 4, returnSequences: true, goBackwards: true }), 'LSTM',
      { units: 4, return_sequences: true, go_backwards: true }),
    single('lstm_return_state', lstm({ units: 4, returnState: true }), 'LSTM', { units: 4, return_state: true }, 3),
    single('lstm_hard_sigmoid', () => tf.layers.lstm({ name: 'rnn', units: 4, recurrentActivation: 'hardSigmoid', returnSequences: true }), 'LSTM',
      { units: 4, recurrent_activation: 'hard_sigmoid_keras2', return_sequences: true }),
    single('lstm_relu_no_bias', lstm({ units: 3, activation: 'relu', useBias: false, returnSequences: true }), 'LSTM',
      { units: 3, activation: 'relu', use_bias: false, return_sequences: true }),
    {
      name: 'lstm_initial_state',
      build() {
        const x = one('x');
        const h0 = tf.input({ shape: [4], name: 'h0' });
        const c0 = tf.input({ shape: [4], name: 'c0' });
        const y = lstm({ units: 4, returnSequences: true })().apply(x, { initialState: [h0, c0] });
        return tf.model({ inputs: [x, h0, c0], outputs: y });
      },
      inputs: random => [randomTensor([2, T, F], random), randomTensor([2, 4], random), randomTensor([2, 4], random)],
      graph: {
        name: 'lstm_initial_state',
        inputs: [seq('x'), { name: 'h0', shape: [4] }, { name: 'c0', shape: [4] }],
        nodes: [{ name: 'rnn', type: 'LSTM', config: { units: 4, return_sequences: true }, inputs: ['x', 'h0', 'c0'] }],
        outputs: ['rnn'],
      },
    },

    single('gru_reset_before', gru({ units: 4, resetAfter: false, returnSequences: true }), 'GRU',
      { units: 4, reset_after: false, return_sequences: true }),
    single('gru_reset_before_hard_sigmoid_backwards',
      () => tf.layers.gru({ name: 'rnn', units: 3, recurrentActivation: 'hardSigmoid', goBackwards: true, returnState: true }), 'GRU',
      { units: 3, reset_after: false, recurrent_activation: 'hard_sigmoid_keras2', go_backwards: true, return_state: true }, 2),
    {
      name: 'gru_reset_after_plain_js',
      ...plainGruCase('gru_reset_after_plain_js', { units: 4, returnSequences: true }, { units: 4, return_sequences: true }),
    },
    {
      name: 'gru_reset_after_hard_sigmoid_plain_js',
      ...plainGruCase('gru_reset_after_hard_sigmoid_plain_js',
        { units: 3, recurrentActivation: 'hard_sigmoid', goBackwards: true },
        { units: 3, recurrent_activation: 'hard_sigmoid', go_backwards: true }),
    },

    single('simple_rnn_tanh', simple({ units: 4, returnSequences: true }), 'SimpleRNN', { units: 4, return_sequences: true }),
    single('simple_rnn_relu_backwards', simple({ units: 4, activation: 'relu', goBackwards: true }), 'SimpleRNN',
      { units: 4, activation: 'relu', go_backwards: true }),
    single('simple_rnn_sigmoid_state', simple({ units: 3, activation: 'sigmoid', returnState: true }), 'SimpleRNN',
      { units: 3, activation: 'sigmoid', return_state: true }, 2),

    bidirectional('bidirectional_concat', lstm({ units: 3, returnSequences: true }, 'lstm'), 'LSTM',
      { units: 3, return_sequences: true }, 'concat'),
    bidirectional('bidirectional_default_merge', lstm({ units: 3 }, 'lstm'), 'LSTM', { units: 3 }, undefined),
    bidirectional('bidirectional_sum', lstm({ units: 3 }, 'lstm'), 'LSTM', { units: 3 }, 'sum'),
    bidirectional('bidirectional_mul_gru', gru({ units: 3, resetAfter: false, returnSequences: true }, 'gru'), 'GRU',
      { units: 3, reset_after: false, return_sequences: true }, 'mul'),
    bidirectional('bidirectional_ave_simple_rnn', simple({ units: 3 }, 'simple_rnn'), 'SimpleRNN', { units: 3 }, 'ave'),
    bidirectional('bidirectional_none', lstm({ units: 3, returnSequences: true }, 'lstm'), 'LSTM',
      { units: 3, return_sequences: true }, null, 2),
    bidirectional('bidirectional_return_state', lstm({ units: 3, returnState: true }, 'lstm'), 'LSTM',
      { units: 3, return_state: true }, 'concat', 5),

    {
      name: 'time_distributed_dense_lstm',
      build() {
        const x = one('x', T, 4);
        const td = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 5, activation: 'tanh' }), name: 'td' }).apply(x);
        const y = lstm({ units: 3 }, 'lstm')().apply(td);
        return tf.model({ inputs: x, outputs: [td, y] });
      },
      inputs: sequenceInput([2, T, 4]),
      graph: {
        name: 'time_distributed_dense_lstm',
        inputs: [seq('x', T, 4)],
        nodes: [
          { name: 'td', type: 'TimeDistributed', config: { layer: { type: 'Dense', config: { units: 5, activation: 'tanh' } } }, inputs: ['x'] },
          { name: 'lstm', type: 'LSTM', config: { units: 3 }, inputs: ['td'] },
        ],
        outputs: ['td', 'lstm'],
      },
    },
    {
      name: 'siamese_shared_lstm',
      build() {
        const left = one('left', T, 4);
        const right = one('right', T, 4);
        const shared = lstm({ units: 3 }, 'lstm')();
        const merged = tf.layers.concatenate({ name: 'merged' }).apply([shared.apply(left), shared.apply(right)]);
        const y = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }).apply(merged);
        return tf.model({ inputs: [left, right], outputs: y });
      },
      inputs: random => [randomTensor([2, T, 4], random), randomTensor([2, T, 4], random)],
      graph: {
        name: 'siamese_shared_lstm',
        inputs: [seq('left', T, 4), seq('right', T, 4)],
        nodes: [
          { name: 'lstm', type: 'LSTM', config: { units: 3 }, inputs: ['left'] },
          { name: 'lstm_right', share: 'lstm', inputs: ['right'] },
          { name: 'merged', type: 'Concatenate', inputs: ['lstm', 'lstm_right'] },
          { name: 'out', type: 'Dense', config: { units: 1, activation: 'sigmoid' }, inputs: ['merged'] },
        ],
        outputs: ['out'],
      },
    },
  ];

  function plainGruCase(name, args, config) {
    return {
      build: () => plainGruModel(tf, { name: 'rnn', inputDim: F, ...args }),
      inputs: sequenceInput([2, T, F]),
      graph: {
        name,
        description: 'Reference values from tools/keras-reference/plain/gru.js, Keras 3 GRU equations in plain JavaScript (tfjs has no reset_after=true).',
        inputs: [seq('x')],
        nodes: [{ name: 'rnn', type: 'GRU', config, inputs: ['x'] }],
        outputs: ['rnn'],
      },
    };
  }
};

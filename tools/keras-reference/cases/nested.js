// Models used as layers: a model called twice with shared weights, a model with two inputs and
// two outputs, and models nested two deep. Inner layer names repeat outer ones on purpose (Keras
// allows it: names are unique within one model); weights are keyed by path, "encoder/hidden".
module.exports = ({ tf, randomTensor }) => {
  const dense = (units, name, activation) => tf.layers.dense({ units, name, activation });

  return [
    {
      name: 'nested_shared',
      build() {
        const xi = tf.input({ shape: [4], name: 'x' });
        const hidden = dense(3, 'hidden', 'relu').apply(xi);
        const code = dense(2, 'code', 'tanh').apply(hidden);
        const encoder = tf.model({ inputs: xi, outputs: code, name: 'encoder' });

        const a = tf.input({ shape: [4], name: 'a' });
        const b = tf.input({ shape: [4], name: 'b' });
        const ea = encoder.apply(a);
        const eb = encoder.apply(b);
        const sum = tf.layers.add({ name: 'sum' }).apply([ea, eb]);
        const joined = tf.layers.concatenate({ name: 'joined' }).apply([ea, eb]);
        const out = dense(1, 'code', 'sigmoid').apply(joined);
        return tf.model({ inputs: [a, b], outputs: [out, sum] });
      },
      inputs: random => [randomTensor([3, 4], random), randomTensor([3, 4], random)],
      graph: {
        name: 'nested_shared',
        inputs: [{ name: 'a', shape: [4] }, { name: 'b', shape: [4] }],
        nodes: [
          {
            name: 'encoder', type: 'Model', inputs: ['a'],
            config: {
              graph: {
                inputs: [{ name: 'x', shape: [4] }],
                nodes: [
                  { name: 'hidden', type: 'Dense', config: { units: 3, activation: 'relu' }, inputs: ['x'] },
                  { name: 'code', type: 'Dense', config: { units: 2, activation: 'tanh' }, inputs: ['hidden'] },
                ],
                outputs: ['code'],
              },
            },
          },
          { name: 'encoder_b', share: 'encoder', inputs: ['b'] },
          { name: 'sum', type: 'Add', inputs: ['encoder', 'encoder_b'] },
          { name: 'joined', type: 'Concatenate', inputs: ['encoder', 'encoder_b'] },
          { name: 'code', type: 'Dense', config: { units: 1, activation: 'sigmoid' }, inputs: ['joined'] },
        ],
        outputs: ['code', 'sum'],
      },
    },
    {
      name: 'nested_two_outputs',
      build() {
        const p = tf.input({ shape: [3], name: 'p' });
        const q = tf.input({ shape: [5], name: 'q' });
        const dp = dense(4, 'dp').apply(p);
        const dq = dense(4, 'dq', 'relu').apply(q);
        const product = tf.layers.multiply({ name: 'product' }).apply([dp, dq]);
        const squashed = tf.layers.activation({ activation: 'tanh', name: 'squashed' }).apply(product);
        const head = dense(2, 'head').apply(dq);
        const pair = tf.model({ inputs: [p, q], outputs: [squashed, head], name: 'pair' });

        const x = tf.input({ shape: [3], name: 'x' });
        const y = tf.input({ shape: [5], name: 'y' });
        const [first, second] = pair.apply([x, y]);
        const joined = tf.layers.concatenate({ name: 'joined' }).apply([first, second]);
        const outerHead = dense(3, 'head', 'softmax').apply(joined);
        return tf.model({ inputs: [x, y], outputs: [outerHead, second] });
      },
      inputs: random => [randomTensor([2, 3], random), randomTensor([2, 5], random)],
      graph: {
        name: 'nested_two_outputs',
        inputs: [{ name: 'x', shape: [3] }, { name: 'y', shape: [5] }],
        nodes: [
          {
            name: 'pair', type: 'Model', inputs: ['x', 'y'],
            config: {
              graph: {
                name: 'pair',
                inputs: [{ name: 'p', shape: [3] }, { name: 'q', shape: [5] }],
                nodes: [
                  { name: 'dp', type: 'Dense', config: { units: 4 }, inputs: ['p'] },
                  { name: 'dq', type: 'Dense', config: { units: 4, activation: 'relu' }, inputs: ['q'] },
                  { name: 'product', type: 'Multiply', inputs: ['dp', 'dq'] },
                  { name: 'squashed', type: 'Activation', config: { activation: 'tanh' }, inputs: ['product'] },
                  { name: 'head', type: 'Dense', config: { units: 2 }, inputs: ['dq'] },
                ],
                outputs: ['squashed', 'head'],
              },
            },
          },
          { name: 'joined', type: 'Concatenate', inputs: ['pair', 'pair:1'] },
          { name: 'head', type: 'Dense', config: { units: 3, activation: 'softmax' }, inputs: ['joined'] },
        ],
        outputs: ['head', 'pair:1'],
      },
    },
    {
      name: 'nested_two_deep',
      build() {
        const xi = tf.input({ shape: [5], name: 'xi' });
        const core = tf.model({ inputs: xi, outputs: dense(4, 'dense', 'relu').apply(xi), name: 'core' });
        const xm = tf.input({ shape: [5], name: 'xm' });
        const middleOut = dense(3, 'dense', 'tanh').apply(core.apply(xm));
        const middle = tf.model({ inputs: xm, outputs: middleOut, name: 'middle' });
        const x = tf.input({ shape: [5], name: 'x' });
        const out = dense(2, 'dense').apply(middle.apply(x));
        return tf.model({ inputs: x, outputs: out });
      },
      inputs: random => [randomTensor([3, 5], random)],
      graph: {
        name: 'nested_two_deep',
        inputs: [{ name: 'x', shape: [5] }],
        nodes: [
          {
            name: 'middle', type: 'Model', inputs: ['x'],
            config: {
              graph: {
                inputs: [{ name: 'xm', shape: [5] }],
                nodes: [
                  {
                    name: 'core', type: 'Functional', inputs: ['xm'],
                    config: {
                      graph: {
                        inputs: [{ name: 'xi', shape: [5] }],
                        nodes: [{ name: 'dense', type: 'Dense', config: { units: 4, activation: 'relu' }, inputs: ['xi'] }],
                        outputs: ['dense'],
                      },
                    },
                  },
                  { name: 'dense', type: 'Dense', config: { units: 3, activation: 'tanh' }, inputs: ['core'] },
                ],
                outputs: ['dense'],
              },
            },
          },
          { name: 'dense', type: 'Dense', config: { units: 2 }, inputs: ['middle'] },
        ],
        outputs: ['dense'],
      },
    },
  ];
};

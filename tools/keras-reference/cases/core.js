// Dense and merges: the layers of the seed's MLP and the basis for the rest.
module.exports = ({ tf, randomTensor }) => [
  {
    name: 'dense_mlp',
    build() {
      const x = tf.input({ shape: [6], name: 'x' });
      let h = tf.layers.dense({ units: 5, activation: 'relu', name: 'hidden' }).apply(x);
      h = tf.layers.dense({ units: 4, activation: 'tanh', name: 'hidden2' }).apply(h);
      const y = tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(h);
      return tf.model({ inputs: x, outputs: y });
    },
    inputs: random => [randomTensor([4, 6], random)],
    graph: {
      name: 'dense_mlp',
      inputs: [{ name: 'x', shape: [6] }],
      nodes: [
        { name: 'hidden', type: 'Dense', config: { units: 5, activation: 'relu' }, inputs: ['x'] },
        { name: 'hidden2', type: 'Dense', config: { units: 4, activation: 'tanh' }, inputs: ['hidden'] },
        { name: 'out', type: 'Dense', config: { units: 3, activation: 'softmax' }, inputs: ['hidden2'] },
      ],
      outputs: ['out'],
    },
  },
  {
    name: 'dense_3d_merges',
    build() {
      const a = tf.input({ shape: [3, 4], name: 'a' });
      const b = tf.input({ shape: [3, 4], name: 'b' });
      const da = tf.layers.dense({ units: 2, activation: 'sigmoid', name: 'da' }).apply(a);
      const db = tf.layers.dense({ units: 2, name: 'db' }).apply(b);
      const sum = tf.layers.add({ name: 'sum' }).apply([da, db]);
      const diff = tf.layers.multiply({ name: 'prod' }).apply([da, db]);
      const cat = tf.layers.concatenate({ axis: -1, name: 'cat' }).apply([sum, diff]);
      const avg = tf.layers.average({ name: 'avg' }).apply([da, db]);
      return tf.model({ inputs: [a, b], outputs: [cat, avg] });
    },
    inputs: random => [randomTensor([2, 3, 4], random), randomTensor([2, 3, 4], random)],
    graph: {
      name: 'dense_3d_merges',
      inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [3, 4] }],
      nodes: [
        { name: 'da', type: 'Dense', config: { units: 2, activation: 'sigmoid' }, inputs: ['a'] },
        { name: 'db', type: 'Dense', config: { units: 2 }, inputs: ['b'] },
        { name: 'sum', type: 'Add', inputs: ['da', 'db'] },
        { name: 'prod', type: 'Multiply', inputs: ['da', 'db'] },
        { name: 'cat', type: 'Concatenate', config: { axis: -1 }, inputs: ['sum', 'prod'] },
        { name: 'avg', type: 'Average', inputs: ['da', 'db'] },
      ],
      outputs: ['cat', 'avg'],
    },
  },
];

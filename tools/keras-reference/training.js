// Training reference values from TensorFlow.js's Keras layers API: a model is compiled and fitted
// with tfjs, and the fixture records what the engine must reproduce: the per-epoch history under
// Keras's log names and the weights after training.
//   node training.js        writes tests/Engine.Tests/Fixtures/training/<case>.json
// tfjs's sgd and rmsprop follow Keras's update rules (rmsprop's epsilon inside the root); its Adam
// does not (torch's bias-corrected epsilon), so the cases use the first two.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const outDir = path.join(__dirname, '..', '..', 'tests', 'Engine.Tests', 'Fixtures', 'training');
fs.mkdirSync(outDir, { recursive: true });

const { rng } = require('./random.js')(tf);

function uniform(shape, random, low = -1, high = 1) {
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(Array.from({ length: size }, () => low + (high - low) * random()), shape, 'float32');
}

function encode(t) {
  return { shape: t.shape, data: Array.from(t.dataSync()) };
}

function weightsOf(model) {
  const result = {};
  for (const layer of model.layers)
    for (const w of layer.weights) result[`${layer.name}/${w.originalName.split('/').pop()}`] = encode(w.read());
  return result;
}

const cases = [
  {
    // The seed's three heads on one trunk, rmsprop, acc on every head, the last batch of each
    // epoch smaller than the others. tfjs has no loss weights ("TODO(cais): Add lossWeights" in
    // engine/training.js) and its multi-output validation logs running totals under the per-output
    // names (makeTestFunction), so this case has neither; the engine's tests cover both.
    name: 'fit_three_heads_rmsprop',
    build() {
      const x = tf.input({ shape: [6], name: 'posts' });
      const trunk = tf.layers.dense({ units: 8, activation: 'tanh', name: 'trunk' }).apply(x);
      const age = tf.layers.dense({ units: 1, name: 'age' }).apply(trunk);
      const income = tf.layers.dense({ units: 4, activation: 'softmax', name: 'income' }).apply(trunk);
      const gender = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'gender' }).apply(trunk);
      return tf.model({ inputs: x, outputs: [age, income, gender] });
    },
    compileTfjs: () => ({
      optimizer: tf.train.rmsprop(0.01),
      loss: ['meanSquaredError', 'categoricalCrossentropy', 'binaryCrossentropy'],
      metrics: ['acc'],
    }),
    compile: {
      optimizer: { type: 'rmsprop', learning_rate: 0.01 },
      loss: ['mse', 'categorical_crossentropy', 'binary_crossentropy'],
      metrics: ['acc'],
    },
    fit: { epochs: 3, batch_size: 8, shuffle: false },
    data(random) {
      const n = 25;
      const x = uniform([n, 6], random);
      const age = uniform([n, 1], random, 20, 60);
      const classes = Array.from({ length: n }, () => Math.floor(random() * 4));
      const income = tf.oneHot(tf.tensor1d(classes, 'int32'), 4).toFloat();
      const gender = tf.tensor(Array.from({ length: n }, () => (random() < 0.5 ? 0 : 1)), [n, 1], 'float32');
      return { x: [x], y: [age, income, gender] };
    },
    graph: {
      name: 'three_heads',
      inputs: [{ name: 'posts', shape: [6] }],
      nodes: [
        { name: 'trunk', type: 'Dense', config: { units: 8, activation: 'tanh' }, inputs: ['posts'] },
        { name: 'age', type: 'Dense', config: { units: 1 }, inputs: ['trunk'] },
        { name: 'income', type: 'Dense', config: { units: 4, activation: 'softmax' }, inputs: ['trunk'] },
        { name: 'gender', type: 'Dense', config: { units: 1, activation: 'sigmoid' }, inputs: ['trunk'] },
      ],
      outputs: ['age', 'income', 'gender'],
    },
  },
  {
    // An MLP with sgd and class weights (each training sample's loss weighed by its class) and
    // validation taken from the end, unweighted.
    name: 'fit_mlp_sgd_class_weight',
    build() {
      const x = tf.input({ shape: [5], name: 'x' });
      const h = tf.layers.dense({ units: 7, activation: 'relu', name: 'hidden' }).apply(x);
      const y = tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(h);
      return tf.model({ inputs: x, outputs: y });
    },
    compileTfjs: () => ({ optimizer: tf.train.sgd(0.2), loss: 'categoricalCrossentropy', metrics: ['accuracy'] }),
    compile: { optimizer: { type: 'sgd', learning_rate: 0.2 }, loss: 'categorical_crossentropy', metrics: ['accuracy'] },
    fit: { epochs: 4, batch_size: 6, shuffle: false, validation_split: 0.25, class_weight: { 0: 0.5, 2: 3 } },
    classWeight: { 0: 0.5, 1: 1, 2: 3 },
    data(random) {
      const n = 22;
      const x = uniform([n, 5], random);
      const classes = Array.from({ length: n }, () => Math.floor(random() * 3));
      return { x: [x], y: [tf.oneHot(tf.tensor1d(classes, 'int32'), 3).toFloat()] };
    },
    graph: {
      name: 'mlp',
      inputs: [{ name: 'x', shape: [5] }],
      nodes: [
        { name: 'hidden', type: 'Dense', config: { units: 7, activation: 'relu' }, inputs: ['x'] },
        { name: 'out', type: 'Dense', config: { units: 3, activation: 'softmax' }, inputs: ['hidden'] },
      ],
      outputs: ['out'],
    },
  },
];

(async () => {
  for (const c of cases) {
    const random = rng(2024);
    const model = c.build();
    for (const layer of model.layers)
      if (layer.weights.length > 0) layer.setWeights(layer.weights.map(w => uniform(w.shape, random, -0.5, 0.5)));
    const initial = weightsOf(model);
    const { x, y } = c.data(random);
    model.compile(c.compileTfjs());
    const history = await model.fit(x, y.length === 1 ? y[0] : y, {
      epochs: c.fit.epochs, batchSize: c.fit.batch_size, shuffle: false,
      validationSplit: c.fit.validation_split, classWeight: c.classWeight, verbose: 0,
    });
    const fixture = {
      name: c.name,
      source: `TensorFlow.js ${tf.version.tfjs} (training.js)`,
      graph: c.graph,
      compile: c.compile,
      fit: c.fit,
      initial_weights: initial,
      x: x.map(encode),
      y: y.map(encode),
      history: history.history,
      final_weights: weightsOf(model),
    };
    fs.writeFileSync(path.join(outDir, `${c.name}.json`), JSON.stringify(fixture) + '\n');
    console.log(`${c.name}: ${Object.keys(history.history).join(', ')}`);
  }
})();

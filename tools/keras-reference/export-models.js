// Writes TensorFlow.js models as TensorFlow.js saves them, for the engine's import tests:
//   tests/Engine.Tests/Fixtures/interop/<case>/model.json           (modelTopology + weightsManifest)
//   tests/Engine.Tests/Fixtures/interop/<case>/group1-shard1of1.bin (the weights)
//   tests/Engine.Tests/Fixtures/interop/<case>/expected.json        (inputs, and the outputs tfjs predicts)
// Unlike generate.js, nothing here is written in our format: the test imports what tfjs wrote.
// Together the cases use every layer type TensorFlow.js has among the engine's, shared layers,
// nested multi-output models, a Sequential inside a Functional, stride-2 'same' convolutions,
// BatchNormalization with moving statistics far from 0 and 1, and LSTM/GRU with tfjs's default
// recurrent activation, hard_sigmoid (Keras 2's clip(0.2x + 0.5, 0, 1)). Weights are seeded random.
//   node export-models.js            all cases
//   node export-models.js conv       cases whose name contains "conv"
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const { rng, randomTensor, randomInts, randomizeWeights, encode } = require('./random')(tf);

const outDir = path.join(__dirname, '..', '..', 'tests', 'Engine.Tests', 'Fixtures', 'interop');
const L = tf.layers;

const cases = [
  {
    // Dense with each activation, every merge tfjs has (it has no Subtract), a layer shared by two calls, normalization on features.
    name: 'tfjs_dense_merges',
    build() {
      const a = tf.input({ shape: [6], name: 'a' });
      const b = tf.input({ shape: [6], name: 'b' });
      const shared = L.dense({ units: 5, activation: 'tanh', name: 'shared' });
      const sa = shared.apply(a);
      const sb = shared.apply(b);
      const acts = ['relu', 'sigmoid', 'hardSigmoid', 'elu', 'selu', 'softplus', 'softsign', 'relu6', 'swish', 'linear'];
      const branches = acts.map(act => L.dense({ units: 5, activation: act, name: `dense_${act.toLowerCase()}` }).apply(sa));
      const merged = [
        L.add({ name: 'add' }).apply([branches[0], branches[1], sb]),
        L.add({ name: 'add_pair' }).apply([branches[2], branches[3]]),
        L.multiply({ name: 'multiply' }).apply([branches[4], branches[5]]),
        L.average({ name: 'average' }).apply([branches[6], branches[7]]),
        L.maximum({ name: 'maximum' }).apply([branches[8], branches[9]]),
        L.minimum({ name: 'minimum' }).apply([branches[0], sb]),
      ];
      let x = L.concatenate({ name: 'concatenate' }).apply(merged);
      x = L.batchNormalization({ name: 'batch_norm', epsilon: 0.01 }).apply(x);
      x = L.leakyReLU({ alpha: 0.2, name: 'leaky' }).apply(x);
      x = L.dropout({ rate: 0.3, name: 'dropout' }).apply(x);
      x = L.layerNormalization({ name: 'layer_norm' }).apply(x);
      const probabilities = L.activation({ activation: 'softmax', name: 'probabilities' }).apply(L.dense({ units: 4, name: 'logits' }).apply(x));
      return tf.model({ inputs: [a, b], outputs: [probabilities, sb], name: 'dense_merges' });
    },
    inputs: random => [randomTensor([3, 6], random), randomTensor([3, 6], random)],
  },
  {
    // Images: stride-2 'same' convolutions on odd sizes (TensorFlow pads the odd cell at the end).
    name: 'tfjs_conv_image',
    build() {
      const x = tf.input({ shape: [9, 9, 3], name: 'image' });
      let y = L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv_same_s2' }).apply(x);
      y = L.batchNormalization({ name: 'bn_conv' }).apply(y);
      const side = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'depthwise' }).apply(y);
      // tfjs 4.22's SeparableConv2D.getConfig leaves depth_multiplier out (tfjs itself could not
      // reload a multiplier other than 1), so the separable convolution keeps the default.
      y = L.separableConv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', name: 'separable' }).apply(side);
      const pooled = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'max_pool' }).apply(side);
      const averaged = L.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'avg_pool' }).apply(side);
      const joined = L.concatenate({ name: 'joined' }).apply([pooled, averaged, y]);
      const valid = L.conv2d({ filters: 3, kernelSize: [2, 1], dilationRate: 1, name: 'conv_valid' }).apply(joined);
      const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(valid);
      const gmp = L.globalMaxPooling2d({ name: 'gmp' }).apply(joined);
      const flat = L.flatten({ name: 'flatten' }).apply(L.permute({ dims: [2, 1, 3], name: 'permute' }).apply(valid));
      const reshaped = L.reshape({ targetShape: [3, 2], name: 'reshape' }).apply(L.dense({ units: 6, name: 'squeeze' }).apply(flat));
      const head = L.dense({ units: 2, activation: 'sigmoid', name: 'head' }).apply(L.concatenate({ name: 'features' }).apply([gap, gmp]));
      return tf.model({ inputs: x, outputs: [head, reshaped], name: 'conv_image' });
    },
    inputs: random => [randomTensor([2, 9, 9, 3], random)],
  },
  {
    // Token sequences: Embedding, stride-2 'same' Conv1D, 1-D pooling, TimeDistributed.
    name: 'tfjs_sequence_conv',
    build() {
      const tokens = tf.input({ shape: [11], dtype: 'int32', name: 'tokens' });
      let x = L.embedding({ inputDim: 20, outputDim: 4, name: 'embedding' }).apply(tokens);
      x = L.conv1d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv1d' }).apply(x);
      const maxed = L.maxPooling1d({ poolSize: 2, padding: 'same', name: 'max_pool1d' }).apply(x);
      const averaged = L.averagePooling1d({ poolSize: 2, strides: 1, name: 'avg_pool1d' }).apply(x);
      const steps = L.timeDistributed({ layer: L.dense({ units: 3, activation: 'tanh', name: 'step_dense' }), name: 'time_distributed' }).apply(averaged);
      const a = L.globalMaxPooling1d({ name: 'gmp1d' }).apply(maxed);
      const b = L.globalAveragePooling1d({ name: 'gap1d' }).apply(steps);
      const out = L.dense({ units: 2, name: 'out' }).apply(L.concatenate({ name: 'pooled' }).apply([a, b]));
      return tf.model({ inputs: tokens, outputs: out, name: 'sequence_conv' });
    },
    inputs: random => [randomInts([3, 11], random, 20)],
  },
  {
    // Recurrent layers with tfjs's defaults (recurrent_activation hard_sigmoid, GRU reset_after
    // false), LSTM states as outputs (tensor index) and as another LSTM's initial state.
    name: 'tfjs_recurrent_hard_sigmoid',
    build() {
      const x = tf.input({ shape: [5, 3], name: 'x' });
      const [seq, h, c] = L.lstm({ units: 4, returnSequences: true, returnState: true, name: 'lstm' }).apply(x);
      const gru = L.gru({ units: 3, returnSequences: true, name: 'gru' }).apply(seq);
      const bi = L.bidirectional({ layer: L.lstm({ units: 2, returnSequences: true, name: 'inner_lstm' }), mergeMode: 'concat', name: 'bidirectional' }).apply(gru);
      const simple = L.simpleRNN({ units: 3, name: 'simple_rnn' }).apply(bi);
      const continued = L.lstm({ units: 4, goBackwards: true, name: 'continued' }).apply(seq, { initialState: [h, c] });
      const out = L.dense({ units: 1, name: 'out' }).apply(L.concatenate({ name: 'joined' }).apply([simple, continued]));
      return tf.model({ inputs: x, outputs: [out, c], name: 'recurrent' });
    },
    inputs: random => [randomTensor([2, 5, 3], random)],
  },
  {
    // A nested model with two outputs, called twice (shared weights, node indices 1 and 2), a
    // Sequential used as a layer, and a model nested two deep.
    name: 'tfjs_nested_multi_output',
    build() {
      const p = tf.input({ shape: [4], name: 'p' });
      const hidden = L.dense({ units: 5, activation: 'relu', name: 'hidden' }).apply(p);
      const first = L.dense({ units: 3, name: 'first' }).apply(hidden);
      const second = L.batchNormalization({ name: 'norm' }).apply(L.dense({ units: 2, name: 'second' }).apply(hidden));
      const pair = tf.model({ inputs: p, outputs: [first, second], name: 'pair' });

      const innerIn = tf.input({ shape: [3], name: 'inner_in' });
      const inner = tf.model({ inputs: innerIn, outputs: L.dense({ units: 3, activation: 'tanh', name: 'inner_dense' }).apply(innerIn), name: 'inner' });
      const middleIn = tf.input({ shape: [3], name: 'middle_in' });
      const middle = tf.model({ inputs: middleIn, outputs: L.dense({ units: 2, name: 'middle_dense' }).apply(inner.apply(middleIn)), name: 'middle' });

      const stack = tf.sequential({ name: 'stack', layers: [L.dense({ units: 4, inputShape: [5], activation: 'relu', name: 'stack_1' }), L.dense({ units: 2, name: 'stack_2' })] });

      const a = tf.input({ shape: [4], name: 'a' });
      const b = tf.input({ shape: [4], name: 'b' });
      const [a1, a2] = pair.apply(a);
      const [b1, b2] = pair.apply(b);
      const deep = middle.apply(L.add({ name: 'sum' }).apply([a1, b1]));
      const stacked = stack.apply(L.concatenate({ name: 'cat' }).apply([a2, b1]));
      const out = L.concatenate({ name: 'out' }).apply([deep, stacked, b2]);
      return tf.model({ inputs: [a, b], outputs: [out, a2], name: 'nested' });
    },
    inputs: random => [randomTensor([3, 4], random), randomTensor([3, 4], random)],
  },
];

async function save(model, dir) {
  let artifacts;
  await model.save(tf.io.withSaveHandler(async a => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const shard = 'group1-shard1of1.bin';
  const modelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [shard], weights: artifacts.weightSpecs }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson) + '\n');
  fs.writeFileSync(path.join(dir, shard), Buffer.from(artifacts.weightData));
}

async function main() {
  const filter = process.argv[2];
  let written = 0;
  for (const c of cases) {
    if (filter && !c.name.includes(filter)) continue;
    const random = rng(c.seed ?? 4321);
    const model = c.build();
    randomizeWeights(model, random);
    const inputs = c.inputs(random);
    let outputs = model.predict(inputs);
    if (!Array.isArray(outputs)) outputs = [outputs];
    const dir = path.join(outDir, c.name);
    fs.mkdirSync(dir, { recursive: true });
    await save(model, dir);
    const expected = { source: `TensorFlow.js ${tf.version.tfjs}`, inputs: inputs.map(encode), outputs: outputs.map(encode) };
    fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected) + '\n');
    written++;
  }
  console.log(`wrote ${written} models to ${outDir}`);
}

main().catch(e => { console.error(e); process.exit(1); });

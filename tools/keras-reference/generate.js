// Writes one fixture per case to tests/Engine.Tests/Fixtures/keras/<case>.json:
//   { name, graph (our wire format), weights: {layer: [{name, shape, data}]}, inputs: [{shape, data}],
//     outputs: [{shape, data}] }
// Each case (cases/*.js) builds the model with TensorFlow.js's Keras layers API and writes the same
// model in our graph format by hand, so the test checks our format, layers and weight layout
// against an implementation we did not write. Weights are replaced by seeded random values (moving
// variances kept positive) so that nothing depends on initializers.
//   node generate.js            all cases
//   node generate.js conv       cases whose name, or whose file in cases/, contains "conv"
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const outDir = path.join(__dirname, '..', '..', 'tests', 'Engine.Tests', 'Fixtures', 'keras');
fs.mkdirSync(outDir, { recursive: true });

const { rng, randomTensor, randomInts, randomizeWeights, encode } = require('./random')(tf);

// Every layer with weights, keyed by layer name; a nested model's layers by their path
// ("encoder/hidden"), as GraphModule.LeafLayers names them (inner names may repeat outer ones).
function collectWeights(model, into = {}, prefix = '') {
  for (const layer of model.layers) {
    if (layer.layers) { collectWeights(layer, into, `${prefix}${layer.name}/`); continue; }
    const weights = layer.weights;
    if (weights.length === 0) continue;
    into[prefix + layer.name] = weights.map(w => ({ name: w.originalName ?? w.name, ...encode(w.read()) }));
  }
  return into;
}

const helpers = { tf, rng, randomTensor, randomInts };
const filter = process.argv[2];
const files = fs.readdirSync(path.join(__dirname, 'cases')).filter(f => f.endsWith('.js')).sort();
let written = 0;
for (const file of files) {
  const cases = require(path.join(__dirname, 'cases', file))(helpers);
  for (const c of cases) {
    if (filter && !c.name.includes(filter) && !file.includes(filter)) continue;
    const random = rng(c.seed ?? 1234);
    const model = c.build();
    randomizeWeights(model, random);
    const inputs = c.inputs(random);
    let outputs = model.predict(inputs);
    if (!Array.isArray(outputs)) outputs = [outputs];
    const fixture = {
      name: c.name,
      source: `TensorFlow.js ${tf.version.tfjs} (${file})`,
      graph: c.graph,
      weights: collectWeights(model),
      inputs: inputs.map(encode),
      outputs: outputs.map(encode),
    };
    fs.writeFileSync(path.join(outDir, `${c.name}.json`), JSON.stringify(fixture) + '\n');
    written++;
  }
}
console.log(`wrote ${written} fixtures to ${outDir}`);

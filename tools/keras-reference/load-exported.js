// Loads a TensorFlow.js layers-model the way a user would (tf.loadLayersModel: model.json, then the
// shards its weightsManifest names, from one folder) and prints its predictions as JSON.
//   node load-exported.js <folder with model.json> <inputs.json>
// inputs.json: [{shape, dtype, data}, ...] in the model's input order. Prints
// {"outputs": [{shape, data}, ...]} for the interop tests to compare with the engine's.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

async function main() {
  const [folder, inputsFile] = process.argv.slice(2);
  const modelJson = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'));
  const handler = {
    async load() {
      const weightSpecs = [];
      const buffers = [];
      for (const group of modelJson.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const shard of group.paths) buffers.push(fs.readFileSync(path.join(folder, shard)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: modelJson.modelTopology,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        format: modelJson.format,
      };
    },
  };
  const model = await tf.loadLayersModel(handler, { strict: true });
  const inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8')).map(i => tf.tensor(i.data, i.shape, i.dtype ?? 'float32'));
  let outputs = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  if (!Array.isArray(outputs)) outputs = [outputs];
  process.stdout.write(JSON.stringify({ outputs: outputs.map(o => ({ shape: o.shape, data: Array.from(o.dataSync()) })) }));
}

main().catch(e => { console.error(e.stack ?? String(e)); process.exit(1); });

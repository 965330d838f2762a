// A case made of layers applied one after the other to one input: each step is
// [name, tfjs layer factory (given its name), our type, our config]. The graph's nodes carry the
// same names, so the fixture's weights (keyed by layer name) find their layers.
module.exports = ({ tf, randomTensor, randomInts }) => function chain(name, shape, steps, options = {}) {
  const batch = options.batch ?? 2;
  const dtype = options.dtype ?? 'float32';
  return {
    name,
    seed: options.seed,
    build() {
      const x = tf.input({ shape, name: 'x', dtype });
      let y = x;
      for (const [layerName, make] of steps) y = make(layerName).apply(y);
      return tf.model({ inputs: x, outputs: y });
    },
    inputs: random => [dtype === 'int32'
      ? randomInts([batch, ...shape], random, options.vocabulary)
      : randomTensor([batch, ...shape], random)],
    graph: {
      name,
      inputs: [{ name: 'x', shape, dtype }],
      nodes: steps.map(([layerName, , type, config], i) => ({
        name: layerName,
        type,
        config,
        inputs: [i === 0 ? 'x' : steps[i - 1][0]],
      })),
      outputs: [steps[steps.length - 1][0]],
    },
  };
};

// Seeded values for fixtures, independent of tfjs's own seeding: a small deterministic generator
// (mulberry32), random tensors, and weights replaced by random values (moving variances positive,
// so that BatchNormalization's moving statistics are far from their 0 and 1 defaults).
module.exports = tf => {
  function rng(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6D2B79F5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function randomTensor(shape, random, low = -1, high = 1) {
    const size = shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = low + (high - low) * random();
    return tf.tensor(data, shape, 'float32');
  }

  function randomInts(shape, random, high) {
    const size = shape.reduce((p, d) => p * d, 1);
    const data = new Int32Array(size);
    for (let i = 0; i < size; i++) data[i] = Math.floor(random() * high);
    return tf.tensor(data, shape, 'int32');
  }

  function randomizeWeights(model, random) {
    const visit = m => {
      for (const layer of m.layers) {
        if (layer.layers) { visit(layer); continue; }
        if (layer.weights.length === 0) continue;
        const values = layer.weights.map(w => {
          const positive = /variance/.test(w.name);
          return randomTensor(w.shape, random, positive ? 0.5 : -0.5, positive ? 1.5 : 0.5);
        });
        layer.setWeights(values);
      }
    };
    visit(model);
  }

  function encode(t) {
    return { shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync()) };
  }

  return { rng, randomTensor, randomInts, randomizeWeights, encode };
};

// Keras 3's GRU with reset_after=True in plain JavaScript (float64 loops), for the reference
// values TensorFlow.js cannot give: its GRU rejects reset_after=true. Written from Keras's
// equations (keras/src/layers/rnn/gru.py, GRUCell.call, implementation 2), in Keras's layout and
// gate order z, r, h; it shares nothing with the engine's C#.
//   x_z, x_r, x_h = split(x·kernel + bias[0])
//   s_z, s_r, s_h = split(h·recurrent_kernel + bias[1])
//   z = σ(x_z + s_z);  r = σ(x_r + s_r);  hh = tanh(x_h + r ⊙ s_h);  h = z ⊙ h + (1 − z) ⊙ hh
// It poses as a one-layer tfjs model for generate.js: layers[0].weights/setWeights and predict().

const activations = {
  tanh: Math.tanh,
  sigmoid: x => 1 / (1 + Math.exp(-x)),
  // Keras 3: relu6(x + 3) / 6.
  hard_sigmoid: x => Math.min(Math.max(x + 3, 0), 6) / 6,
};

function plainGruModel(tf, { name, inputDim, units, activation = 'tanh', recurrentActivation = 'sigmoid', returnSequences = false, goBackwards = false }) {
  const act = activations[activation];
  const recurrentAct = activations[recurrentActivation];
  const shapes = { kernel: [inputDim, 3 * units], recurrent_kernel: [units, 3 * units], bias: [2, 3 * units] };
  let values = {};
  const weights = Object.entries(shapes).map(([weightName, shape]) => ({
    name: weightName,
    shape,
    read: () => tf.tensor(values[weightName], shape, 'float32'),
  }));
  const layer = {
    name,
    weights,
    setWeights(tensors) {
      weights.forEach((w, i) => { values[w.name] = Float32Array.from(tensors[i].dataSync()); });
    },
  };

  // row · matrix (rows × cols, row-major), plus an optional bias row.
  function project(row, matrix, cols, bias) {
    const out = new Float64Array(cols);
    for (let j = 0; j < cols; j++) {
      let sum = bias ? bias[j] : 0;
      for (let i = 0; i < row.length; i++) sum += row[i] * matrix[i * cols + j];
      out[j] = sum;
    }
    return out;
  }

  function run(sequence) {
    const u = units;
    const inputBias = values.bias.subarray(0, 3 * u);
    const recurrentBias = values.bias.subarray(3 * u, 6 * u);
    let h = new Float64Array(u);
    const outputs = [];
    const steps = goBackwards ? [...sequence].reverse() : sequence;
    for (const x of steps) {
      const mx = project(x, values.kernel, 3 * u, inputBias);
      const mh = project(h, values.recurrent_kernel, 3 * u, recurrentBias);
      const next = new Float64Array(u);
      for (let j = 0; j < u; j++) {
        const z = recurrentAct(mx[j] + mh[j]);
        const r = recurrentAct(mx[u + j] + mh[u + j]);
        const hh = act(mx[2 * u + j] + r * mh[2 * u + j]);
        next[j] = z * h[j] + (1 - z) * hh;
      }
      h = next;
      outputs.push(h);
    }
    return returnSequences ? outputs : h;
  }

  return {
    layers: [layer],
    predict(inputs) {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [batch, time, features] = x.shape;
      const data = x.dataSync();
      const results = [];
      for (let b = 0; b < batch; b++) {
        const sequence = [];
        for (let t = 0; t < time; t++) sequence.push(data.subarray((b * time + t) * features, (b * time + t + 1) * features));
        const result = run(sequence);
        results.push(...(returnSequences ? result.flatMap(step => Array.from(step)) : Array.from(result)));
      }
      const shape = returnSequences ? [batch, time, units] : [batch, units];
      return tf.tensor(results, shape, 'float32');
    },
  };
}

module.exports = { plainGruModel };

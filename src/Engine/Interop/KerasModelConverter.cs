using System.Globalization;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;

namespace TrainService.Engine.Interop;

/// <summary>The graph a Keras model config converts to, and where each of its parts came from.</summary>
public sealed record KerasConversion(GraphSpec Graph, KerasDialect Dialect, PointerMap Pointers);

/// <summary>
/// Converts a Keras model config (Keras 2's to_json, TensorFlow.js's topology, Keras 3's
/// config.json) to the graph format: every call of a layer becomes a node (the first defines the
/// layer, later ones share it), inbound tensors become references, nested Functional and
/// Sequential models become Model nodes. docs/keras-interop.md lists what maps to what.
/// </summary>
public static class KerasModelConverter
{
    /// <summary>Converts a model object {class_name, config}; throws <see cref="KerasImportException"/> with every problem found.</summary>
    public static KerasConversion Convert(JsonNode? model, KerasDialect dialect, string pointer = "")
    {
        var converter = new Converter(dialect);
        GraphSpec? graph = null;
        if (model is not JsonObject obj)
            converter.Errors.Error(pointer, "A Keras model is a JSON object {\"class_name\": \"Functional\", \"config\": {...}}.");
        else
            graph = converter.Model(obj, pointer, "", expectedName: null);
        if (graph is null || converter.Errors.HasErrors)
            throw new KerasImportException(converter.Errors.Errors.ToList());
        return new KerasConversion(graph, dialect, converter.Pointers);
    }

    sealed class Converter(KerasDialect dialect)
    {
        public DiagnosticBag Errors { get; } = new();

        public PointerMap Pointers { get; } = new();

        int depth;

        /// <summary>A Functional/Model/Sequential object as a graph; its own pointer is <paramref name="source"/>.</summary>
        public GraphSpec? Model(JsonObject model, string source, string graph, string? expectedName)
        {
            var className = Text(model["class_name"]);
            var configPointer = JsonPointer.Append(source, "config");
            if (++depth > GraphLimits.Default.MaxNesting + 1)
            {
                Errors.Error(source, $"Models are nested more than {GraphLimits.Default.MaxNesting} deep.");
                return null;
            }
            try
            {
                Pointers.Add(graph, configPointer);
                return className switch
                {
                    "Functional" or "Model" => Functional(model["config"], configPointer, graph, expectedName),
                    "Sequential" => Sequential(model["config"], configPointer, graph, expectedName),
                    null => Fail(JsonPointer.Append(source, "class_name"), "A Keras model needs its class_name: Functional, Model or Sequential."),
                    _ => Fail(JsonPointer.Append(source, "class_name"), $"class_name '{className}' is not a model Keras can describe by its config (Functional, Model or Sequential): a subclassed model's call() is Python code, which is not in the file."),
                };
            }
            finally
            {
                depth--;
            }
        }

        GraphSpec? Fail(string pointer, string message, string? layer = null)
        {
            Errors.Error(pointer, message, layer);
            return null;
        }

        GraphSpec? Functional(JsonNode? configNode, string source, string graph, string? expectedName)
        {
            if (configNode is not JsonObject config)
                return Fail(source, "A Functional model's config is an object with layers, input_layers and output_layers.");
            var name = expectedName ?? Text(config["name"]) ?? "model";
            var layersPointer = JsonPointer.Append(source, "layers");
            if (config["layers"] is not JsonArray layerArray)
                return Fail(layersPointer, "A Functional model's config needs its list of layers.");

            var layers = new List<LayerEntry>();
            var byName = new Dictionary<string, LayerEntry>(StringComparer.Ordinal);
            for (int i = 0; i < layerArray.Count; i++)
            {
                var entry = ReadEntry(layerArray[i], JsonPointer.Append(layersPointer, i), functional: true);
                if (entry is null) continue;
                if (!byName.TryAdd(entry.Name, entry))
                {
                    Errors.Error(JsonPointer.Append(entry.Pointer, "name"), $"Two layers are named '{entry.Name}'; Keras requires unique names within a model.", entry.Name);
                    continue;
                }
                layers.Add(entry);
            }
            if (Errors.HasErrors) return null;

            // Node names: a layer's first call keeps the layer's name; its later calls are
            // "<layer>_<k>", made unique against every layer name.
            var taken = new HashSet<string>(byName.Keys, StringComparer.Ordinal);
            foreach (var layer in layers)
            {
                if (layer.IsInput) continue;
                layer.CallNames.Add(layer.Name);
                for (int k = 1; k < layer.Calls.Count; k++)
                {
                    var callName = $"{layer.Name}_{k}";
                    for (int n = 1; !taken.Add(callName); n++) callName = $"{layer.Name}_{k}_{n}";
                    layer.CallNames.Add(callName);
                }
            }

            var inputs = new Dictionary<string, InputSpec>(StringComparer.Ordinal);
            foreach (var layer in layers.Where(l => l.IsInput))
                if (Input(layer) is { } input) inputs[layer.Name] = input;

            var nodes = new List<NodeSpec>();
            foreach (var layer in layers)
            {
                if (layer.IsInput) continue;
                if (layer.Calls.Count == 0)
                {
                    Errors.Warning(JsonPointer.Append(layer.Pointer, "inbound_nodes"), $"Layer '{layer.Name}' is never called in this model; it is left out.", layer.Name);
                    continue;
                }
                var nodePointer = JsonPointer.Append(JsonPointer.Append(graph, "nodes"), nodes.Count);
                var definition = Definition(layer, nodePointer);
                for (int k = 0; k < layer.Calls.Count; k++)
                {
                    var callPointer = k == 0 ? nodePointer : JsonPointer.Append(JsonPointer.Append(graph, "nodes"), nodes.Count);
                    var callSource = JsonPointer.Append(JsonPointer.Append(layer.Pointer, "inbound_nodes"), k);
                    var references = CallInputs(layer.Calls[k], callSource, byName, layer);
                    Pointers.Add(callPointer, k == 0 ? layer.Pointer : callSource);
                    Pointers.Add(JsonPointer.Append(callPointer, "inputs"), callSource);
                    if (references is null || (k == 0 && definition is null)) continue;
                    nodes.Add(k == 0
                        ? new NodeSpec(layer.CallNames[0], definition!.Value.Type, definition.Value.Config, references)
                        : new NodeSpec(layer.CallNames[k], null, null, references, Share: layer.Name));
                }
            }

            var inputOrder = new List<InputSpec>();
            var inputLayersPointer = JsonPointer.Append(source, "input_layers");
            var inputPointers = Structure(config["input_layers"], inputLayersPointer, "input_layers");
            for (int i = 0; i < inputPointers.Count; i++)
            {
                var (reference, refPointer) = inputPointers[i];
                if (ReadTriple(reference, refPointer) is not var (layerName, _, _)) continue;
                if (!inputs.TryGetValue(layerName, out var input))
                {
                    Errors.Error(refPointer, $"input_layers names '{layerName}', which is not an InputLayer of this model.");
                    continue;
                }
                Pointers.Add(JsonPointer.Append(JsonPointer.Append(graph, "inputs"), inputOrder.Count), byName[layerName].Pointer);
                inputOrder.Add(input);
            }

            var outputs = new List<string>();
            var outputLayersPointer = JsonPointer.Append(source, "output_layers");
            foreach (var (reference, refPointer) in Structure(config["output_layers"], outputLayersPointer, "output_layers"))
            {
                if (ReadTriple(reference, refPointer) is not var (layerName, nodeIndex, tensorIndex)) continue;
                if (Resolve(layerName, nodeIndex, tensorIndex, refPointer, byName, inOutputList: true, consumer: null) is { } output)
                {
                    Pointers.Add(JsonPointer.Append(JsonPointer.Append(graph, "outputs"), outputs.Count), refPointer);
                    outputs.Add(output);
                }
            }
            if (Errors.HasErrors) return null;
            return new GraphSpec(name, inputOrder, nodes, outputs);
        }

        GraphSpec? Sequential(JsonNode? configNode, string source, string graph, string? expectedName)
        {
            // Keras ≤ 2.2 wrote a Sequential's config as the bare list of its layers.
            var layerArray = configNode switch
            {
                JsonArray list => list,
                JsonObject obj => obj["layers"] as JsonArray,
                _ => null,
            };
            var layersPointer = configNode is JsonArray ? source : JsonPointer.Append(source, "layers");
            if (layerArray is null)
                return Fail(source, "A Sequential model's config needs its list of layers.");
            var name = expectedName ?? Text((configNode as JsonObject)?["name"]) ?? "sequential";

            InputSpec? input = null;
            string? previous = null;
            var nodes = new List<NodeSpec>();
            for (int i = 0; i < layerArray.Count; i++)
            {
                var entry = ReadEntry(layerArray[i], JsonPointer.Append(layersPointer, i), functional: false);
                if (entry is null) continue;
                if (entry.IsInput)
                {
                    if (input is not null || nodes.Count > 0)
                        Errors.Error(entry.Pointer, "A Sequential model's InputLayer comes first, and once.", entry.Name);
                    else if (Input(entry) is { } declared)
                    {
                        input = declared;
                        previous = declared.Name;
                        Pointers.Add(JsonPointer.Append(graph, "inputs/0"), entry.Pointer);
                    }
                    continue;
                }
                if (input is null && nodes.Count == 0)
                {
                    // Keras 2 puts the model's input on its first layer (batch_input_shape, dtype)
                    // and names the InputLayer it makes "<layer>_input".
                    input = SequentialInput(entry, configNode as JsonObject, source);
                    if (input is null) return null;
                    previous = input.Name;
                    Pointers.Add(JsonPointer.Append(graph, "inputs/0"), entry.Pointer);
                }
                var nodePointer = JsonPointer.Append(JsonPointer.Append(graph, "nodes"), nodes.Count);
                Pointers.Add(nodePointer, entry.Pointer);
                if (Definition(entry, nodePointer) is not { } definition) continue;
                nodes.Add(new NodeSpec(entry.Name, definition.Type, definition.Config, [previous!]));
                previous = entry.Name;
            }
            if (input is null)
                return Fail(layersPointer, "A Sequential model without layers has no input and no output.");
            if (Errors.HasErrors) return null;
            Pointers.Add(JsonPointer.Append(graph, "outputs/0"), layersPointer);
            return new GraphSpec(name, [input], nodes, [previous!]);
        }

        InputSpec? SequentialInput(LayerEntry first, JsonObject? sequentialConfig, string source)
        {
            var shape = first.Config["batch_input_shape"] ?? first.Config["batch_shape"];
            var shapePointer = JsonPointer.Append(JsonPointer.Append(first.Pointer, "config"), first.Config.ContainsKey("batch_shape") ? "batch_shape" : "batch_input_shape");
            if (shape is null && first.Config["input_shape"] is JsonArray sampleShape)
            {
                shape = new JsonArray([null, .. sampleShape.Select(d => d?.DeepClone())]);
                shapePointer = JsonPointer.Append(JsonPointer.Append(first.Pointer, "config"), "input_shape");
            }
            if (shape is null && sequentialConfig?["build_input_shape"] is JsonArray built)
            {
                shape = built;
                shapePointer = JsonPointer.Append(source, "build_input_shape");
            }
            if (shape is null)
            {
                Errors.Error(first.Pointer, "The Sequential model never states its input shape (no InputLayer, batch_input_shape or build_input_shape): Keras builds such a model only when it first sees data.", first.Name);
                return null;
            }
            var dims = BatchShape(shape, shapePointer, first.Name);
            var dtype = InputDType(first.Config["dtype"], JsonPointer.Append(JsonPointer.Append(first.Pointer, "config"), "dtype"), first.Name, first.ClassName == "Embedding");
            return dims is null || dtype is null ? null : new InputSpec(first.Name + "_input", dims, dtype.Value);
        }

        sealed class LayerEntry(string name, string className, JsonObject config, string pointer, JsonObject raw)
        {
            public string Name { get; } = name;
            public string ClassName { get; } = className;
            public JsonObject Config { get; } = config;
            public string Pointer { get; } = pointer;
            public JsonObject Raw { get; } = raw;
            public bool IsInput => ClassName == "InputLayer";
            public bool IsModel => ClassName is "Functional" or "Model" or "Sequential";
            public List<(JsonNode Node, int Index)> Calls { get; } = [];
            public List<string> CallNames { get; } = [];
        }

        LayerEntry? ReadEntry(JsonNode? node, string pointer, bool functional)
        {
            if (node is not JsonObject entry)
            {
                Errors.Error(pointer, "A layer entry is an object {class_name, config, inbound_nodes}.");
                return null;
            }
            var className = Text(entry["class_name"]);
            if (className is null)
            {
                Errors.Error(JsonPointer.Append(pointer, "class_name"), "A layer entry needs its class_name.");
                return null;
            }
            var config = entry["config"] as JsonObject;
            if (config is null && !(className == "Sequential" && entry["config"] is JsonArray))
            {
                Errors.Error(JsonPointer.Append(pointer, "config"), $"The {className} layer entry needs its config object.");
                return null;
            }
            config ??= new JsonObject { ["layers"] = entry["config"]!.DeepClone() };
            var name = Text(entry["name"]) ?? Text(config["name"]);
            if (name is null)
            {
                Errors.Error(JsonPointer.Append(pointer, "name"), $"The {className} layer has no name; Keras names every layer.");
                return null;
            }
            if (Text(config["name"]) is { } configName && configName != name)
                Errors.Error(JsonPointer.Append(pointer, "config/name"), $"The layer is named '{name}' but its config says '{configName}'.", name);
            if (!GraphSpecParser.IsValidName(name))
            {
                Errors.Error(JsonPointer.Append(pointer, "name"), $"Layer name '{name}' cannot be used: names here are 1 to 128 letters, digits, '_', '-' or '.', not starting with '-' or '.'.", name);
                return null;
            }
            var layer = new LayerEntry(name, className, config, pointer, entry);
            if (!functional) return layer;
            switch (entry["inbound_nodes"])
            {
                case null: break;
                case JsonArray calls:
                    for (int k = 0; k < calls.Count; k++)
                        if (calls[k] is { } call) layer.Calls.Add((call, k));
                        else Errors.Error(JsonPointer.Append(JsonPointer.Append(pointer, "inbound_nodes"), k), "An inbound node cannot be null.", name);
                    break;
                default:
                    Errors.Error(JsonPointer.Append(pointer, "inbound_nodes"), "inbound_nodes must be a list (one entry per call of the layer).", name);
                    break;
            }
            if (layer.IsInput && layer.Calls.Count > 0)
                Errors.Error(JsonPointer.Append(pointer, "inbound_nodes"), $"InputLayer '{name}' cannot be called on other tensors.", name);
            return layer;
        }

        InputSpec? Input(LayerEntry layer)
        {
            var configPointer = JsonPointer.Append(layer.Pointer, "config");
            var key = layer.Config.ContainsKey("batch_shape") ? "batch_shape" : "batch_input_shape";
            var dims = BatchShape(layer.Config[key], JsonPointer.Append(configPointer, key), layer.Name);
            foreach (var flag in new[] { "sparse", "ragged" })
                if (layer.Config[flag] is JsonValue v && v.TryGetValue<bool>(out var set) && set)
                    Errors.Error(JsonPointer.Append(configPointer, flag), $"Input '{layer.Name}' is {flag}; inputs here are dense tensors.", layer.Name);
            var dtype = InputDType(layer.Config["dtype"], JsonPointer.Append(configPointer, "dtype"), layer.Name, integerAllowed: true);
            return dims is null || dtype is null ? null : new InputSpec(layer.Name, dims, dtype.Value);
        }

        List<int?>? BatchShape(JsonNode? shape, string pointer, string layer)
        {
            if (shape is not JsonArray dims || dims.Count == 0)
            {
                Errors.Error(pointer, $"Input '{layer}' needs its shape with the batch axis first, [null, ...], not {shape?.ToJsonString() ?? "nothing"}.", layer);
                return null;
            }
            var sample = new List<int?>();
            for (int d = 1; d < dims.Count; d++)
            {
                if (dims[d] is null) sample.Add(null);
                else if (dims[d] is JsonValue v && v.TryGetValue<double>(out var size) && size >= 1 && size == Math.Floor(size) && size <= int.MaxValue) sample.Add((int)size);
                else Errors.Error(JsonPointer.Append(pointer, d), $"A size is a positive integer or null, not {dims[d]!.ToJsonString()}.", layer);
            }
            return sample;
        }

        DType? InputDType(JsonNode? node, string pointer, string layer, bool integerAllowed)
        {
            // Keras 3 may write a dtype policy object; its config names the dtype.
            var name = node is JsonObject policy ? Text((policy["config"] as JsonObject)?["name"]) : Text(node);
            if (name is null) return DType.Float32;
            if (DTypes.TryParse(name, out var dtype) && (integerAllowed || !dtype.IsInteger())) return dtype;
            if (name is "float16" or "float64" or "bfloat16" or "mixed_float16" or "mixed_bfloat16")
                Errors.Error(pointer, $"Input '{layer}' is {name}; the engine computes in float32 (inputs are float32, int32 or int64).", layer);
            else
                Errors.Error(pointer, $"Input '{layer}' has dtype '{name}'; inputs here are float32, int32 or int64.", layer);
            return null;
        }

        /// <summary>The node type and config of a layer's defining node, or null after reporting why it cannot be.</summary>
        (string Type, JsonObject Config)? Definition(LayerEntry layer, string nodePointer)
        {
            var configPointer = JsonPointer.Append(layer.Pointer, "config");
            if (layer.IsModel)
            {
                var graphPointer = JsonPointer.Append(JsonPointer.Append(nodePointer, "config"), "graph");
                var inner = Model(layer.Raw, layer.Pointer, graphPointer, layer.Name);
                if (inner is null) return null;
                var config = new JsonObject { ["graph"] = inner.ToJson() };
                if (layer.Config["trainable"] is JsonValue t && t.TryGetValue<bool>(out var trainable) && !trainable)
                {
                    config["trainable"] = false;
                    Pointers.Add(JsonPointer.Append(JsonPointer.Append(nodePointer, "config"), "trainable"), JsonPointer.Append(configPointer, "trainable"));
                }
                return ("Model", config);
            }
            Pointers.Add(JsonPointer.Append(nodePointer, "config"), configPointer);
            Pointers.Add(JsonPointer.Append(nodePointer, "type"), JsonPointer.Append(layer.Pointer, "class_name"));
            var translated = KerasLayerConfigs.Translate(layer.Name, layer.ClassName, layer.Raw, layer.Config, dialect, layer.Pointer, Errors);
            return translated is null ? null : (translated.Value.Type, translated.Value.Config);
        }

        /// <summary>The tensors one call takes, as references, in the order the layer takes them.</summary>
        List<string>? CallInputs((JsonNode Node, int Index) call, string pointer, Dictionary<string, LayerEntry> layers, LayerEntry consumer)
        {
            var tensors = new List<(JsonNode Reference, string Pointer, bool Keras3)>();
            var kwargs = new List<(string Key, JsonNode? Value, string Pointer)>();
            if (call.Node is JsonObject keras3)
            {
                // Keras 3: {"args": [...], "kwargs": {...}}; tensors are {"class_name": "__keras_tensor__", ...}.
                var argsPointer = JsonPointer.Append(pointer, "args");
                if (keras3["args"] is JsonArray args)
                {
                    for (int a = 0; a < args.Count; a++)
                        CollectKerasTensors(args[a], JsonPointer.Append(argsPointer, a), tensors, consumer, constantsAllowed: false);
                }
                else if (keras3["args"] is not null)
                    Errors.Error(argsPointer, "args must be a list.", consumer.Name);
                if (keras3["kwargs"] is JsonObject keywords)
                    foreach (var (key, value) in keywords) kwargs.Add((key, value, JsonPointer.Append(JsonPointer.Append(pointer, "kwargs"), key)));
            }
            else if (call.Node is JsonArray keras2)
            {
                // Keras 2: [[layer, node, tensor, kwargs], ...]; the kwargs repeat on every tensor.
                for (int t = 0; t < keras2.Count; t++)
                {
                    var tensorPointer = JsonPointer.Append(pointer, t);
                    if (keras2[t] is JsonArray entry && entry.Count is 3 or 4)
                    {
                        if (Text(entry[0]) == "_CONSTANT_VALUE")
                        {
                            Errors.Error(tensorPointer, $"Layer '{consumer.Name}' is called on a constant ({entry[2]?.ToJsonString()}), not a tensor; layers here are called on tensors.", consumer.Name);
                            continue;
                        }
                        tensors.Add((entry, tensorPointer, false));
                        if (t == 0 && entry.Count == 4 && entry[3] is JsonObject keywords)
                            foreach (var (key, value) in keywords) kwargs.Add((key, value, JsonPointer.Append(JsonPointer.Append(tensorPointer, 3), key)));
                    }
                    else
                        Errors.Error(tensorPointer, $"An inbound tensor is [layer_name, node_index, tensor_index, kwargs], not {keras2[t]?.ToJsonString()}.", consumer.Name);
                }
            }
            else
            {
                Errors.Error(pointer, "An inbound node is a list of inbound tensors (Keras 2) or {\"args\", \"kwargs\"} (Keras 3).", consumer.Name);
                return null;
            }

            foreach (var (key, value, keyPointer) in kwargs)
            {
                switch (key)
                {
                    case "initial_state":
                        if (value is JsonArray states)
                            for (int s = 0; s < states.Count; s++)
                            {
                                var statePointer = JsonPointer.Append(keyPointer, s);
                                if (states[s] is JsonObject) CollectKerasTensors(states[s], statePointer, tensors, consumer, constantsAllowed: false);
                                else if (states[s] is not null) tensors.Add((states[s]!, statePointer, false));
                            }
                        else if (value is JsonObject) CollectKerasTensors(value, keyPointer, tensors, consumer, constantsAllowed: false);
                        else if (value is not null)
                            Errors.Error(keyPointer, "initial_state must be a list of tensors.", consumer.Name);
                        break;
                    case "training" when value is null || (value is JsonValue v && v.TryGetValue<bool>(out var training) && !training):
                    case "mask" when value is null:
                        break;
                    case "training":
                        Errors.Error(keyPointer, $"Layer '{consumer.Name}' is called with training={value!.ToJsonString()}: a call that always runs in training mode is not supported here (Dropout and BatchNormalization follow fit and predict).", consumer.Name);
                        break;
                    case "mask":
                        Errors.Error(keyPointer, $"Layer '{consumer.Name}' is called with a mask; masking is not implemented.", consumer.Name);
                        break;
                    default:
                        if (value is not null)
                            Errors.Error(keyPointer, $"Layer '{consumer.Name}' is called with {key}={value.ToJsonString()}, a call argument the engine does not take.", consumer.Name);
                        break;
                }
            }

            var references = new List<string>();
            foreach (var (reference, tensorPointer, isKeras3) in tensors)
            {
                if (ReadTriple(reference, tensorPointer) is not var (layerName, nodeIndex, tensorIndex)) continue;
                // Keras 3 writes a nested model's calls in keras_history with their own index; Keras 2 adds 1.
                if (Resolve(layerName, nodeIndex, tensorIndex, tensorPointer, layers, inOutputList: !isKeras3, consumer) is { } resolved)
                    references.Add(resolved);
            }
            if (tensors.Count == 0)
                Errors.Error(pointer, $"Call {call.Index} of layer '{consumer.Name}' takes no tensor.", consumer.Name);
            return references.Count == tensors.Count && tensors.Count > 0 ? references : null;
        }

        void CollectKerasTensors(JsonNode? node, string pointer, List<(JsonNode, string, bool)> tensors, LayerEntry consumer, bool constantsAllowed)
        {
            switch (node)
            {
                case JsonObject obj when Text(obj["class_name"]) == "__keras_tensor__":
                    if ((obj["config"] as JsonObject)?["keras_history"] is JsonNode history)
                        tensors.Add((history, JsonPointer.Append(JsonPointer.Append(pointer, "config"), "keras_history"), true));
                    else
                        Errors.Error(pointer, "A __keras_tensor__ needs config.keras_history [layer, node_index, tensor_index].", consumer.Name);
                    break;
                case JsonArray list:
                    for (int i = 0; i < list.Count; i++) CollectKerasTensors(list[i], JsonPointer.Append(pointer, i), tensors, consumer, constantsAllowed);
                    break;
                case JsonObject dict:
                    // Keras flattens a dict of tensors in sorted key order (tree.flatten).
                    foreach (var key in dict.Select(p => p.Key).Order(StringComparer.Ordinal))
                        CollectKerasTensors(dict[key], JsonPointer.Append(pointer, key), tensors, consumer, constantsAllowed);
                    break;
                case null:
                    break;
                default:
                    Errors.Error(pointer, $"Layer '{consumer.Name}' is called with the constant {node.ToJsonString()}; layers here are called on tensors only.", consumer.Name);
                    break;
            }
        }

        (string Layer, int Node, int Tensor)? ReadTriple(JsonNode reference, string pointer)
        {
            if (reference is JsonArray triple && triple.Count >= 3 && Text(triple[0]) is { } layer &&
                Int(triple[1]) is { } node && Int(triple[2]) is { } tensor && node >= 0 && tensor >= 0)
                return (layer, node, tensor);
            Errors.Error(pointer, $"A tensor reference is [layer_name, node_index, tensor_index], not {reference.ToJsonString()}.");
            return null;
        }

        /// <summary>
        /// The reference to output <paramref name="tensor"/> of call <paramref name="node"/> of a
        /// layer. A nested model's calls are numbered from 1 (node 0 is its own construction) in
        /// Keras 2's inbound nodes and in every dialect's input_layers/output_layers.
        /// </summary>
        string? Resolve(string layerName, int node, int tensor, string pointer, Dictionary<string, LayerEntry> layers, bool inOutputList, LayerEntry? consumer)
        {
            if (!layers.TryGetValue(layerName, out var layer))
            {
                Errors.Error(pointer, $"'{layerName}' is not a layer of this model.", consumer?.Name);
                return null;
            }
            if (layer.IsInput)
            {
                if (node != 0 || tensor != 0)
                    Errors.Error(pointer, $"Input '{layerName}' has one tensor, [\"{layerName}\", 0, 0], not [{node}, {tensor}].", consumer?.Name);
                return layerName;
            }
            var call = layer.IsModel && (inOutputList || dialect != KerasDialect.Keras3) ? node - 1 : node;
            if (call < 0 || call >= layer.CallNames.Count)
            {
                var numbering = layer.IsModel && (inOutputList || dialect != KerasDialect.Keras3)
                    ? $" (a nested model's calls are numbered from 1 here, {dialect.Describe()})"
                    : "";
                Errors.Error(pointer, $"Node {node} of layer '{layerName}' does not exist: the layer is called {layer.CallNames.Count} time(s){numbering}.", consumer?.Name);
                return null;
            }
            var callName = layer.CallNames[call];
            return tensor == 0 ? callName : callName + ":" + tensor.ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>input_layers/output_layers: a list of triples (Keras 2), or a triple, list or dict (Keras 3, dicts in sorted key order).</summary>
        List<(JsonNode Reference, string Pointer)> Structure(JsonNode? node, string pointer, string key)
        {
            var result = new List<(JsonNode, string)>();
            void Visit(JsonNode? n, string p)
            {
                switch (n)
                {
                    case JsonArray a when a.Count >= 3 && Text(a[0]) is not null:
                        result.Add((a, p));
                        break;
                    case JsonArray a:
                        for (int i = 0; i < a.Count; i++) Visit(a[i], JsonPointer.Append(p, i));
                        break;
                    case JsonObject o:
                        foreach (var k in o.Select(e => e.Key).Order(StringComparer.Ordinal)) Visit(o[k], JsonPointer.Append(p, k));
                        break;
                    default:
                        Errors.Error(p, $"{key} holds tensor references [layer_name, node_index, tensor_index], not {n?.ToJsonString() ?? "null"}.");
                        break;
                }
            }
            Visit(node, pointer);
            if (result.Count == 0 && !Errors.HasErrors) Errors.Error(pointer, $"The model needs at least one entry in {key}.");
            return result;
        }
    }

    internal static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetText(out var s) ? s : null;

    static int? Int(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d : null;
}

using TrainService.Engine.Graph;

namespace TrainService.Engine.Tests.Training;

/// <summary>Small graphs the training tests share.</summary>
static class TrainingGraphs
{
    public static ModelGraph Mlp(int inputs = 8, int hidden = 16, int classes = 3, string outputActivation = "softmax") => GraphBuilder.Build($$"""
    { "name": "mlp",
      "inputs": [{"name": "x", "shape": [{{inputs}}]}],
      "nodes": [
        {"name": "hidden", "type": "Dense", "config": {"units": {{hidden}}, "activation": "relu"}, "inputs": ["x"]},
        {"name": "out", "type": "Dense", "config": {"units": {{classes}}, "activation": "{{outputActivation}}"}, "inputs": ["hidden"]} ],
      "outputs": ["out"] }
    """);

    /// <summary>Three heads on one trunk, as the seed's posts model (dense layers only).</summary>
    public static ModelGraph ThreeHeads(int inputs = 8) => GraphBuilder.Build($$"""
    { "name": "heads",
      "inputs": [{"name": "x", "shape": [{{inputs}}]}],
      "nodes": [
        {"name": "trunk", "type": "Dense", "config": {"units": 16, "activation": "relu"}, "inputs": ["x"]},
        {"name": "age", "type": "Dense", "config": {"units": 1}, "inputs": ["trunk"]},
        {"name": "income", "type": "Dense", "config": {"units": 4, "activation": "softmax"}, "inputs": ["trunk"]},
        {"name": "gender", "type": "Dense", "config": {"units": 1, "activation": "sigmoid"}, "inputs": ["trunk"]} ],
      "outputs": ["age", "income", "gender"] }
    """);
}

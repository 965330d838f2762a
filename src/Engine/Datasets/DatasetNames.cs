using TrainService.Engine.Graph;

namespace TrainService.Engine.Datasets;

/// <summary>Array names follow the graph's name rule, so that they can name graph inputs and outputs and never form a path.</summary>
public static class DatasetNames
{
    public static bool IsValid(string name) => name is not ("." or "..") && GraphSpecParser.IsValidName(name);
}

namespace TrainService.Engine;

public static class EngineInfo
{
    public const string Name = "TrainService.Engine";
}

namespace TrainService.Engine.Datasets;

/// <summary>A dataset file that cannot be read: the message says what is wrong, for the client to read.</summary>
public sealed class DatasetFormatException(string message) : Exception(message);

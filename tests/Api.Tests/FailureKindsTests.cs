using System.Runtime.InteropServices;
using TrainService.Engine.Datasets;
using TrainService.Engine.Graph;
using TrainService.Jobs.Data;
using TrainService.Jobs.Runs;

namespace TrainService.Api.Tests;

/// <summary>Failures told apart, since the kind decides the retry: a lost node retries; numbers, requests and bugs never do.</summary>
public sealed class FailureKindsTests
{
    public static TheoryData<Exception, string> Cases => new()
    {
        { new NonFiniteLossException(3, 7, double.NaN), FailureKinds.Numerics },
        { new GraphValidationException([]), FailureKinds.Request },
        { new DatasetFormatException("bad npz"), FailureKinds.Request },
        { new ExternalException("CUDA out of memory. Tried to allocate 2.00 GiB"), FailureKinds.Device },
        { new ExternalException("DefaultCPUAllocator: not enough memory: you tried to allocate 1099511627776 bytes."), FailureKinds.Device },
        { new Npgsql.NpgsqlException("Exception while reading from stream", new IOException("connection reset")), FailureKinds.Infrastructure },
        { new InvalidOperationException("wrapped", new TimeoutException()), FailureKinds.Infrastructure },
        { new NullReferenceException(), FailureKinds.Internal },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachFailureHasItsKind(Exception exception, string kind) => Assert.Equal(kind, Failures.KindOf(exception));

    [Fact]
    public void OutOfMemoryAdviceGivesTheEstimateAndWhatToChange()
    {
        var message = Failures.Describe(new ExternalException("CUDA out of memory."), FailureKinds.Device, 3L << 30);
        Assert.Contains("3072 MiB", message);
        Assert.Contains("batch_size", message);
    }
}

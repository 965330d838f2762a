using System.Data.Common;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TrainService.Engine.Datasets;
using TrainService.Engine.Graph;
using TrainService.Jobs.Data;

namespace TrainService.Jobs.Runs;

/// <summary>The loss of a run became NaN or infinite: training stops at once and the run fails without a retry.</summary>
public sealed class NonFiniteLossException(int epoch, int batch, double loss)
    : Exception($"The loss became {loss} in epoch {epoch}, batch {batch}. Lower the learning rate, scale the inputs, or clip gradients (clipnorm).");

/// <summary>Tells failures apart, which decides whether a run is tried again (issue: "failures are told apart").</summary>
public static class Failures
{
    public static string KindOf(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case NonFiniteLossException:
                    return FailureKinds.Numerics;
                case GraphValidationException or DatasetFormatException or ArgumentException or FormatException:
                    return FailureKinds.Request;
                case DbException or SocketException or TimeoutException or IOException:
                    return FailureKinds.Infrastructure;
            }
            if (IsOutOfMemory(e)) return FailureKinds.Device;
        }
        return FailureKinds.Internal;
    }

    /// <summary>libtorch's allocators say so in their message (CUDA: "CUDA out of memory"; CPU: "DefaultCPUAllocator: not enough memory").</summary>
    public static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException or InsufficientExecutionStackException
        || (e is ExternalException or InvalidOperationException
            && (e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The run's error as the user reads it: what happened and, where we can tell, what to do.</summary>
    public static string Describe(Exception exception, string kind, long estimatedBytes) => kind switch
    {
        FailureKinds.Request or FailureKinds.Numerics => exception.Message,
        FailureKinds.Device =>
            $"The device ran out of memory ({exception.Message.Split('\n')[0]}). The run was estimated at {estimatedBytes / (1024.0 * 1024):F0} MiB; "
            + "lower batch_size, shrink the model, or queue it for a device with more memory.",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    /// <summary>A database error worth trying again: the connection broke, the server restarts, the file is busy.</summary>
    public static bool IsTransient(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.NpgsqlException npgsql && (npgsql.IsTransient || npgsql is Npgsql.PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" }))
                return true;
            if (e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 }) return true; // SQLITE_BUSY, SQLITE_LOCKED
            if (e is SocketException or TimeoutException or EndOfStreamException) return true;
        }
        return false;
    }
}

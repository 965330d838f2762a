using Hangfire.AspNetCore;
using Hangfire.Logging;
using Microsoft.Extensions.Logging;

namespace TrainService.Jobs.Hosting;

/// <summary>
/// Hangfire logs through a process-wide provider. Where several hosts share a process (the
/// integration tests) one may be disposed while another's Hangfire still logs through it: such
/// log lines are dropped instead of throwing ObjectDisposedException into Hangfire.
/// </summary>
public sealed class HostLogProvider(ILoggerFactory factory) : ILogProvider
{
    readonly AspNetCoreLogProvider inner = new(factory);

    public ILog GetLogger(string name)
    {
        try
        {
            return new GuardedLog(inner.GetLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new GuardedLog(null);
        }
    }

    sealed class GuardedLog(ILog? inner) : ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                return inner?.Log(logLevel, messageFunc, exception) ?? false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}

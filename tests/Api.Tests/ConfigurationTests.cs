using Microsoft.Extensions.Options;
using TrainService.Api.Tests.Infrastructure;

namespace TrainService.Api.Tests;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("TrainService:Worker:Device", "tpu", "Device")]
    [InlineData("TrainService:MaxUploadBytes", "0", "MaxUploadBytes")]
    [InlineData("TrainService:Worker:QueuePollInterval", "00:30:00", "QueuePollInterval")]
    [InlineData("TrainService:Devices:Default", "gpu", "Default")]
    public async Task BadSettingsStopTheServiceAtStartNamingTheKey(string key, string value, string named)
    {
        await using var service = new ServiceFactory(settings: new Dictionary<string, string?> { [key] = value });
        var e = Assert.Throws<OptionsValidationException>(() => service.CreateClient());
        Assert.Contains(named, e.Message);
    }
}

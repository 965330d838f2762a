using System.IO.Compression;
using TrainService.Api.Tests.Infrastructure;

namespace TrainService.Api.Tests;

/// <summary>
/// A run's TensorBoard download: event files as TensorBoard reads them (records with masked CRC-32C
/// checks around Event protobufs), laid out as Keras's TensorBoard callback lays them out.
/// </summary>
public sealed class TensorBoardTests
{
    [Fact]
    public async Task TensorBoardZipHoldsEveryMetricOfEveryHeadAsKerasLaysItOut()
    {
        await using var service = new ServiceFactory();
        var client = service.CreateClient();
        var dataset = await client.UploadAsync(LiveMetricsTests.ThreeHeadsData(128));
        var id = (await client.PostJsonAsync("/api/runs", LiveMetricsTests.ThreeHeadsRequest(dataset, epochs: 3))).Body.GetProperty("id").GetGuid();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync($"/api/runs/{Guid.NewGuid()}/tensorboard")).StatusCode);
        await client.WaitForRunAsync(id, TimeSpan.FromSeconds(60), "succeeded");
        var stored = (await client.GetJsonAsync($"/api/runs/{id}/metrics")).EnumerateArray()
            .Select(e => e.GetProperty("metrics").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble())).ToList();

        var response = await client.GetAsync($"/api/runs/{id}/tensorboard");
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(await response.Content.ReadAsStreamAsync());
        var scalars = new Dictionary<(string Folder, string Tag, long Step), float>();
        foreach (var entry in zip.Entries)
        {
            var folder = entry.FullName.Split('/')[0];
            Assert.Contains(folder, new[] { "train", "validation" });
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            foreach (var record in EventRecords(buffer.ToArray()))
            {
                var tfEvent = Tensorboard.Event.Parser.ParseFrom(record);
                if (tfEvent.Summary is null) continue;
                foreach (var value in tfEvent.Summary.Value) scalars[(folder, value.Tag, tfEvent.Step)] = value.SimpleValue;
            }
        }

        for (int epoch = 0; epoch < 3; epoch++)
            foreach (var (name, value) in stored[epoch])
            {
                var key = name.StartsWith("val_") ? ("validation", "epoch_" + name[4..], (long)epoch) : ("train", "epoch_" + name, (long)epoch);
                Assert.True(scalars.TryGetValue(key, out var written), $"{key} is missing; written: {string.Join(", ", scalars.Keys)}");
                Assert.Equal((float)value, written);
            }
        Assert.Contains(("train", "epoch_income_acc", 2L), scalars.Keys);
        Assert.Contains(("validation", "epoch_age_mae", 2L), scalars.Keys);
        Assert.Equal(stored.Sum(s => s.Count), scalars.Count);
    }

    /// <summary>TFRecord framing: length, masked CRC-32C of the length, data, masked CRC-32C of the data; both checks verified.</summary>
    static IEnumerable<byte[]> EventRecords(byte[] file)
    {
        int at = 0;
        while (at < file.Length)
        {
            var length = BitConverter.ToUInt64(file, at);
            Assert.Equal(Masked(Crc32C(file.AsSpan(at, 8))), BitConverter.ToUInt32(file, at + 8));
            var data = file.AsSpan(at + 12, (int)length).ToArray();
            Assert.Equal(Masked(Crc32C(data)), BitConverter.ToUInt32(file, at + 12 + (int)length));
            yield return data;
            at += 16 + (int)length;
        }
    }

    static uint Masked(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8;

    static uint Crc32C(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }
}

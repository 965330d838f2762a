using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests;

public abstract class DatasetsApiTests : IAsyncLifetime
{
    protected ServiceFactory Service { get; set; } = null!;

    protected abstract Task<ServiceFactory> CreateServiceAsync(IReadOnlyDictionary<string, string?>? settings = null);

    public async Task InitializeAsync() => Service = await CreateServiceAsync();

    public async Task DisposeAsync() => await Service.DisposeAsync();

    static readonly NdArray Features = NdArray.Of("features", TestData.Floats(12, 1), 4, 3);
    static readonly NdArray Labels = NdArray.Of("labels", [0L, 1, 1, 0], 4);

    [Fact]
    public async Task NpzUploadIsDescribedStoredAndDeleted()
    {
        var client = Service.CreateClient();
        var file = TestData.Npz(Features, Labels);
        var response = await client.PostAsync("/api/datasets", TestData.Upload(file, "toy.npz", "toy data"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dataset = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = dataset.GetProperty("id").GetGuid();
        Assert.Equal("toy data", dataset.GetProperty("name").GetString());
        Assert.Equal(file.Length, dataset.GetProperty("sizeBytes").GetInt64());
        var sha = dataset.GetProperty("sha256").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file)), sha);
        var arrays = dataset.GetProperty("arrays").EnumerateArray().ToList();
        Assert.Equal(["features", "labels"], arrays.Select(a => a.GetProperty("name").GetString()));
        Assert.Equal(["float32", "int64"], arrays.Select(a => a.GetProperty("dtype").GetString()));
        Assert.Equal([4L, 3L], arrays[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal([Path.Combine("blobs", sha[..2], sha)], Service.StoredFiles());

        var fetched = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{id}");
        Assert.Equal(sha, fetched.GetProperty("sha256").GetString());
        var list = await client.GetFromJsonAsync<JsonElement>("/api/datasets");
        Assert.Equal([id], list.EnumerateArray().Select(d => d.GetProperty("id").GetGuid()));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/datasets/{id}")).StatusCode);
        Assert.Empty(Service.StoredFiles());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/datasets/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/datasets/{id}")).StatusCode);
    }

    [Fact]
    public async Task SameBytesAreStoredOnce()
    {
        var client = Service.CreateClient();
        var file = TestData.Npz(Features);
        var first = await (await client.PostAsync("/api/datasets", TestData.Upload(file, "a.npz"))).Content.ReadFromJsonAsync<JsonElement>();
        var second = await (await client.PostAsync("/api/datasets", TestData.Upload(file, "b.npz"))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Single(Service.StoredFiles());
        await client.DeleteAsync($"/api/datasets/{first.GetProperty("id").GetGuid()}");
        Assert.Single(Service.StoredFiles());
        await client.DeleteAsync($"/api/datasets/{second.GetProperty("id").GetGuid()}");
        Assert.Empty(Service.StoredFiles());
    }

    [Fact]
    public async Task CsvColumnsAndNpyFilesBecomeArrays()
    {
        var client = Service.CreateClient();
        var csv = Encoding.UTF8.GetBytes("age,income\n31,5.5\n42,7.25\n");
        var dataset = await (await client.PostAsync("/api/datasets", TestData.Upload(csv, "people.csv"))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("csv", dataset.GetProperty("format").GetString());
        Assert.Equal(["age:int64:2", "income:float64:2"], dataset.GetProperty("arrays").EnumerateArray()
            .Select(a => $"{a.GetProperty("name").GetString()}:{a.GetProperty("dtype").GetString()}:{a.GetProperty("shape")[0].GetInt64()}"));

        var npy = new MemoryStream();
        NpyWriter.Write(npy, Features);
        var single = await (await client.PostAsync("/api/datasets", TestData.Upload(npy.ToArray(), "x_train.npy"))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("x_train", single.GetProperty("arrays")[0].GetProperty("name").GetString());
    }

    public static TheoryData<string, byte[], string> BadFiles() => new()
    {
        { "truncated.npz", TestData.Npz(Features, Labels)[..200], "not a readable .npz" },
        { "magic.npz", Encoding.ASCII.GetBytes("this is not a zip archive at all"), "zip signature" },
        { "traversal.npz", TestData.NpzWithMember("../../evil.npy", Features), "'../../evil.npy' is not an array name" },
        { "short.npy", NpyBytes(Features)[..100], "truncated" },
        { "text.csv", Encoding.UTF8.GetBytes("a,b\n1,hello\n"), "'hello' is not a number" },
    };

    static byte[] NpyBytes(NdArray array)
    {
        var stream = new MemoryStream();
        NpyWriter.Write(stream, array);
        return stream.ToArray();
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task BadFilesAre400AndLeaveNothing(string fileName, byte[] file, string message)
    {
        var client = Service.CreateClient();
        var response = await client.PostAsync("/api/datasets", TestData.Upload(file, fileName));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors").GetProperty("/file").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(errors, e => e!.Contains(message, StringComparison.Ordinal));
        await AssertNothingStored(client);
    }

    [Fact]
    public async Task UnknownFileTypeIs415()
    {
        var client = Service.CreateClient();
        var response = await client.PostAsync("/api/datasets", TestData.Upload([1, 2, 3], "notes.txt"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await client.PostAsync("/api/datasets", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
        await AssertNothingStored(client);
    }

    [Fact]
    public async Task MissingFileIs400()
    {
        var client = Service.CreateClient();
        var form = new MultipartFormDataContent { { new StringContent("just a name"), "name" } };
        var response = await client.PostAsync("/api/datasets", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("/file", out _));
    }

    [Fact]
    public async Task UploadOverTheLimitIs413()
    {
        await using var small = await CreateServiceAsync(new Dictionary<string, string?> { ["TrainService:MaxUploadBytes"] = "1000" });
        var client = small.CreateClient();
        var big = TestData.Npz(NdArray.Of("x", TestData.Floats(2000, 3), 2000));
        var response = await client.PostAsync("/api/datasets", TestData.Upload(big, "big.npz"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(small.StoredFiles());
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>("/api/datasets")).GetArrayLength());
    }

    async Task AssertNothingStored(HttpClient client)
    {
        Assert.Empty(Service.StoredFiles());
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>("/api/datasets")).GetArrayLength());
    }
}

public sealed class EmbeddedDatasetsApiTests : DatasetsApiTests
{
    protected override Task<ServiceFactory> CreateServiceAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        Task.FromResult(new ServiceFactory(settings: settings));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresDatasetsApiTests(PostgresServer postgres) : DatasetsApiTests
{
    protected override async Task<ServiceFactory> CreateServiceAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        new(await postgres.CreateDatabaseAsync(), settings);
}

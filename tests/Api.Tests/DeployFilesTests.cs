using System.Reflection;
using System.Text.RegularExpressions;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Jobs.Hosting;

namespace TrainService.Api.Tests;

/// <summary>
/// Docker cannot run on our machines, so the container files are kept in step with the code here:
/// every setting they pass binds to an options property, the projects and assemblies they name
/// exist, the API's port agrees across the files, and the CUDA image uses the backend switch.
/// </summary>
public sealed partial class DeployFilesTests
{
    static readonly string Root = TestData.RepositoryRoot();

    static string Read(string path) => File.ReadAllText(Path.Combine(Root, path));

    static readonly string[] Files = ["docker-compose.yml", "deploy/api.Dockerfile", "deploy/worker.Dockerfile"];

    [GeneratedRegex(@"(?m)^\s*(?:ENV\s+|)([A-Za-z]+(?:__[A-Za-z0-9]+)+)\s*[:=]")]
    private static partial Regex SettingPattern();

    [Fact]
    public void EverySettingTheDeployFilesPassBindsToAnOptionsProperty()
    {
        var sections = typeof(WorkerOptions).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(WorkerOptions).Namespace && t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is not null)
            .ToDictionary(t => (string)t.GetField("Section")!.GetValue(null)!, t => t);
        var settings = Files.SelectMany(f => SettingPattern().Matches(Read(f)).Select(m => (File: f, Key: m.Groups[1].Value))).ToList();
        Assert.True(settings.Count >= 8, $"only {settings.Count} settings found");
        foreach (var (file, key) in settings)
        {
            var path = key.Replace("__", ":");
            var section = sections.Keys.Where(s => path.StartsWith(s + ":", StringComparison.Ordinal)).MaxBy(s => s.Length);
            Assert.True(section is not null, $"{file}: {key} belongs to no options section");
            var property = path[(section!.Length + 1)..];
            Assert.True(sections[section].GetProperty(property) is { CanWrite: true }, $"{file}: {key} binds to no property of {sections[section].Name}");
        }
    }

    [Fact]
    public void ProjectsAssembliesAndTargetsNamedExist()
    {
        foreach (var file in Files.Skip(1))
        {
            var text = Read(file);
            foreach (Match project in Regex.Matches(text, @"dotnet publish (\S+\.csproj)"))
                Assert.True(File.Exists(Path.Combine(Root, project.Groups[1].Value)), $"{file}: {project.Groups[1].Value}");
            foreach (Match assembly in Regex.Matches(text, @"ENTRYPOINT \[""dotnet"", ""([^""]+)\.dll""\]"))
                Assert.Contains(Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories),
                    csproj => File.ReadAllText(csproj).Contains($"<AssemblyName>{assembly.Groups[1].Value}</AssemblyName>"));
        }
        var compose = Read("docker-compose.yml");
        foreach (Match dockerfile in Regex.Matches(compose, @"dockerfile: (\S+)"))
            Assert.True(File.Exists(Path.Combine(Root, dockerfile.Groups[1].Value)), dockerfile.Value);
        var worker = Read("deploy/worker.Dockerfile");
        foreach (Match target in Regex.Matches(compose, @"target: (\S+)"))
            Assert.Contains($" AS {target.Groups[1].Value}", worker);
    }

    [Fact]
    public void CudaImageUsesTheCudaBackendAndTheComposeWorkerReservesGpus()
    {
        var worker = Read("deploy/worker.Dockerfile");
        var cudaBuild = worker[worker.IndexOf("AS build-cuda", StringComparison.Ordinal)..worker.IndexOf("AS worker-cpu", StringComparison.Ordinal)];
        Assert.Contains("-p:TorchBackend=cuda", cudaBuild);
        Assert.Contains("TorchSharp-cuda-linux", Read("Directory.Build.targets"));
        var compose = Read("docker-compose.yml");
        Assert.Matches(@"driver: nvidia\s+count: all\s+capabilities: \[gpu\]", compose);
        Assert.Contains("target: worker-cuda", compose);
    }

    [Fact]
    public void TheApiPortAgreesAcrossTheFiles()
    {
        var api = Read("deploy/api.Dockerfile");
        Assert.Contains("EXPOSE 8080", api);
        Assert.Contains("ASPNETCORE_URLS=http://+:8080", api);
        var compose = Read("docker-compose.yml");
        Assert.Contains("\"8080:8080\"", compose);
        Assert.Contains("ASPNETCORE_URLS: http://+:8080", compose);
    }
}

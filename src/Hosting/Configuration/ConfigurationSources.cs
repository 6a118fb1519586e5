using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace AkkaProxy.Hosting.Configuration;

/// <summary>Names the configuration layers the relay read, in order (later ones win), for the start-up log line.</summary>
internal static class ConfigurationSources
{
    /// <summary>Each layer once, where it last appears (its place in the order of precedence: the host's defaults add environment variables and the command line first, the relay again after its files).</summary>
    public static IEnumerable<string> Describe(IEnumerable<IConfigurationProvider> providers) =>
        Layers(providers).Reverse().Distinct().Reverse();

    private static IEnumerable<string> Layers(IEnumerable<IConfigurationProvider> providers)
    {
        foreach (IConfigurationProvider provider in providers)
        {
            switch (provider)
            {
                case HoconConfigurationSource.Provider hocon:
                    yield return hocon.Name;
                    break;
                case JsonConfigurationProvider json when json.Source.Path is { } path && json.Source.FileProvider?.GetFileInfo(path) is { Exists: true } file:
                    yield return file.PhysicalPath ?? path;
                    break;
                case EnvironmentVariablesConfigurationProvider:
                    yield return "environment variables";
                    break;
                case CommandLineConfigurationProvider:
                    yield return "command line";
                    break;
            }
        }
    }
}

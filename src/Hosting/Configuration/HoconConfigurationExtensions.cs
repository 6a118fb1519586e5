using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Hosting.Configuration;

/// <summary>Adds HOCON files to a configuration builder.</summary>
public static class HoconConfigurationExtensions
{
    private const string ReferenceName = "reference.conf (embedded)";

    /// <summary>
    /// The host's defaults, embedded: <c>hocon/reference.conf</c> (every default of the relay) and over it
    /// <c>hocon/host.conf</c> (the host's default providers, model map, example prices and log levels), so
    /// the host runs with no file at all. A service that embeds the relay does not call this:
    /// <c>AddAkkaProxy</c> puts reference.conf alone beneath the service's own configuration.
    /// </summary>
    public static IConfigurationBuilder AddEmbeddedReferenceHocon(this IConfigurationBuilder builder) =>
        builder.Add(new HoconConfigurationSource(ReadReference, ReferenceName))
            .Add(new HoconConfigurationSource(() => ReadResource("host.conf"), "host.conf (embedded)"));

    /// <summary>
    /// The relay's defaults (reference.conf) as the first layer of <paramref name="builder"/>, beneath
    /// every other (the service's appsettings, environment and command line win over them); nothing when
    /// a layer holds them already.
    /// </summary>
    internal static void InsertRelayDefaults(IConfigurationBuilder builder)
    {
        if (!builder.Sources.OfType<HoconConfigurationSource>().Any(source => source.Name == ReferenceName))
        {
            builder.Sources.Insert(0, new HoconConfigurationSource(ReadReference, ReferenceName));
        }
    }

    /// <summary>A HOCON file; skipped when <paramref name="optional"/> and absent.</summary>
    public static IConfigurationBuilder AddHoconFile(this IConfigurationBuilder builder, string path, bool optional)
    {
        if (optional && !File.Exists(path))
        {
            return builder;
        }

        return builder.Add(new HoconConfigurationSource(() => File.ReadAllText(path), Path.GetFullPath(path)));
    }

    /// <summary>HOCON text held in memory (tests, embedders).</summary>
    public static IConfigurationBuilder AddHoconText(this IConfigurationBuilder builder, string text, string name = "inline") =>
        builder.Add(new HoconConfigurationSource(() => text, name));

    /// <summary>The text of the embedded reference configuration.</summary>
    public static string ReadReference() => ReadResource("reference.conf");

    private static string ReadResource(string file)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("AkkaProxy." + file)
            ?? throw new InvalidOperationException($"The embedded {file} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

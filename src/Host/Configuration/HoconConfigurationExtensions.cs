using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Host.Configuration;

/// <summary>Adds HOCON files to a configuration builder.</summary>
public static class HoconConfigurationExtensions
{
    /// <summary>The embedded <c>hocon/reference.conf</c>: every default, so the relay runs with no file at all.</summary>
    public static IConfigurationBuilder AddEmbeddedReferenceHocon(this IConfigurationBuilder builder) =>
        builder.Add(new HoconConfigurationSource(ReadReference, "reference.conf (embedded)"));

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
    public static string ReadReference()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("AkkaProxy.reference.conf")
            ?? throw new InvalidOperationException("The embedded reference.conf is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

namespace AkkaProxy.Hosting;

/// <summary>The relay's version, as <c>--version</c> and the first log line give it.</summary>
internal static class RelayVersion
{
    /// <summary>The product and its version (with the commit, where the build knew it).</summary>
    public static string Line { get; } = "AkkaProxy " + (typeof(RelayVersion).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown");
}

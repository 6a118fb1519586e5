using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Hosting.Configuration;

/// <summary>A configuration source reading HOCON text (see <see cref="HoconParser"/>).</summary>
internal sealed class HoconConfigurationSource(Func<string> read, string name) : IConfigurationSource
{
    /// <summary>The file (or the name of the text) it reads.</summary>
    public string Name => name;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(read, name);

    /// <summary>Its provider; <see cref="AkkaSection"/> finds the HOCON layers by it, for their keys' spelling.</summary>
    internal sealed class Provider(Func<string> read, string name) : ConfigurationProvider
    {
        /// <summary>The file (or the name of the text) it reads.</summary>
        public string Name => name;

        public override void Load() => Data = new Dictionary<string, string?>(HoconParser.Parse(read(), name), StringComparer.OrdinalIgnoreCase);
    }
}

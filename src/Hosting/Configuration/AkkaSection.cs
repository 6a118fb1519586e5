using System.Globalization;
using System.Text;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Hosting.Configuration;

/// <summary>
/// The <c>akka</c> section of the layered configuration (HOCON files, environment, command line) as
/// Akka's <see cref="Config"/>, written as HOCON text with every key and value quoted.
/// </summary>
/// <remarks>
/// <para>Akka.Hosting's own converter lower-cases keys and splits them at dots, so
/// <c>serialization-bindings { "System.Object" = json }</c> reached Akka as <c>system { object = json }</c>.
/// Here each configuration key is one quoted HOCON key.</para>
/// <para>Akka's keys are case-sensitive and configuration's are not: a key set in two layers is one
/// key spelled either way. Its spelling is the lowest HOCON layer's that has it; a key no HOCON layer
/// has and written in capitals, as environment variables are (<c>AKKA__ACTOR__ASK_TIMEOUT</c>), is
/// lower-cased with <c>_</c> as <c>-</c>, as Akka.Hosting did. Should that name also be spelled by a
/// HOCON layer (<c>ask-timeout</c>), the capitalized one is written after it, so it wins as the
/// environment does over files.</para>
/// <para>Values are quoted strings: Akka reads units, numbers and <c>on</c>/<c>off</c> from quoted
/// text as from bare text, and quoting keeps <c>${</c>, <c>#</c> and commas literal. Children
/// <c>0..n</c> are an array; <c>null</c> stays HOCON's null; an empty value is <c>""</c>, which Akka
/// also reads as an empty list (the HOCON reader stores <c>[]</c> so).</para>
/// </remarks>
internal static class AkkaSection
{
    /// <summary>The <c>akka</c> section as a <see cref="Config"/>; <see cref="Config.Empty"/> when there is none.</summary>
    public static Config ToConfig(IConfiguration configuration)
    {
        string? hocon = ToHocon(configuration);
        return hocon is null ? Config.Empty : ConfigurationFactory.ParseString(hocon);
    }

    /// <summary>The <c>akka</c> section as HOCON text; null when there is none.</summary>
    public static string? ToHocon(IConfiguration configuration)
    {
        IConfigurationSection section = configuration.GetSection(RelayConfiguration.AkkaRoot);
        if (!section.Exists())
        {
            return null;
        }

        // Only the root knows the layers; without it (a section handed in) the keys go as configuration spells them.
        IConfigurationProvider[] hoconLayers = configuration is IConfigurationRoot root
            ? root.Providers.Where(p => p is HoconConfigurationSource.Provider).ToArray()
            : [];
        var text = new StringBuilder();
        AppendQuoted(text, RelayConfiguration.AkkaRoot);
        text.Append(' ');
        new Writer(text, hoconLayers).WriteNode(section, depth: 0);
        return text.Append('\n').ToString();
    }

    private sealed class Writer(StringBuilder text, IConfigurationProvider[] hoconLayers)
    {
        public void WriteNode(IConfigurationSection section, int depth) => WriteNode(section, section.GetChildren().ToArray(), depth);

        private void WriteNode(IConfigurationSection section, IConfigurationSection[] children, int depth)
        {
            // Children win over a value beside them (an element set by one layer over another's empty list).
            if (children.Length == 0)
            {
                if (section.Value is null)
                {
                    text.Append("null");
                }
                else
                {
                    AppendQuoted(text, Literal(section.Value));
                }
            }
            else if (IsArray(children))
            {
                WriteArray(children, depth);
            }
            else
            {
                WriteObject(section.Path, children, depth);
            }
        }

        private void WriteArray(IConfigurationSection[] elements, int depth)
        {
            text.Append('[');
            bool first = true;
            foreach (IConfigurationSection element in elements.OrderBy(e => Index(e.Key)))
            {
                text.Append(first ? " " : ", ");
                first = false;
                WriteNode(element, depth + 1);
            }

            text.Append(" ]");
        }

        private void WriteObject(string path, IConfigurationSection[] members, int depth)
        {
            Dictionary<string, string> spellings = HoconSpellings(path);
            var named = members.Select(member => spellings.TryGetValue(member.Key, out string? spelled)
                ? (Name: spelled, Member: member, Normalized: false)
                : IsEnvironmentStyle(member.Key)
                    ? (Name: member.Key.ToLowerInvariant().Replace('_', '-'), Member: member, Normalized: true)
                    : (Name: member.Key, Member: member, Normalized: false));
            text.Append("{\n");
            // OrderBy is stable: the capitalized keys go last, so where two name one HOCON key theirs wins.
            foreach (var (name, member, _) in named.OrderBy(m => m.Normalized))
            {
                text.Append(' ', 2 * (depth + 1));
                AppendQuoted(text, name);
                IConfigurationSection[] children = member.GetChildren().ToArray();
                // No '=' before an object: two objects under one key then merge in any HOCON reader.
                text.Append(children.Length > 0 && !IsArray(children) ? " " : " = ");
                WriteNode(member, children, depth + 1);
                text.Append('\n');
            }

            text.Append(' ', 2 * depth).Append('}');
        }

        /// <summary>How the HOCON layers spell the keys under <paramref name="path"/>, the lowest layer's first.</summary>
        private Dictionary<string, string> HoconSpellings(string path)
        {
            var spellings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (IConfigurationProvider layer in hoconLayers)
            {
                foreach (string key in layer.GetChildKeys([], path))
                {
                    spellings.TryAdd(key, key);
                }
            }

            return spellings;
        }
    }

    /// <summary>Capitals, digits, <c>_</c> and <c>-</c> only, as an environment variable's name is written.</summary>
    private static bool IsEnvironmentStyle(string key) =>
        key.Any(char.IsAsciiLetterUpper) && key.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c is '_' or '-');

    private static bool IsArray(IConfigurationSection[] children) => children.All(c => Index(c.Key) is not null);

    private static int? Index(string key) =>
        key.Length > 0 && key.All(char.IsAsciiDigit) && int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int index) ? index : null;

    /// <summary>
    /// .NET's providers write booleans as <c>True</c>/<c>False</c> (JSON files, bound options), which
    /// Akka's <c>GetBoolean</c> refuses; it takes <c>true</c>/<c>false</c>.
    /// </summary>
    private static string Literal(string value) => value switch
    {
        "True" => "true",
        "False" => "false",
        _ => value,
    };

    private static void AppendQuoted(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }

        text.Append('"');
    }
}

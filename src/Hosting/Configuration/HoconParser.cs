using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AkkaProxy.Hosting.Configuration;

/// <summary>
/// Reads the HOCON subset the relay's configuration uses into flat <see cref="Microsoft.Extensions.Configuration"/>
/// keys (<c>a:b:0:c</c>): objects (<c>key { }</c>, <c>key = { }</c>, <c>key : { }</c>), dotted keys,
/// arrays, quoted and unquoted strings, numbers, booleans, <c>null</c>, <c>#</c> and <c>//</c> comments,
/// commas or newlines between members, and a later value overriding an earlier one (objects merge).
/// </summary>
/// <remarks>
/// <para>Keys are kept verbatim (<c>max-event-bytes</c>); <see cref="KebabBinder"/> maps them to properties.
/// Quote keys holding dots (<c>"gpt-4.1"</c>), which would otherwise be paths.</para>
/// <para>Unquoted values written as durations (<c>30s</c>, <c>10m</c>, <c>250ms</c>) become
/// <see cref="TimeSpan"/> text and sizes (<c>16KiB</c>, <c>32MiB</c>) become byte counts, except under
/// the top-level <c>akka</c> key: that section goes to the actor system, which reads HOCON units itself,
/// so its values are kept as written.</para>
/// <para>A whole value may be an environment variable: <c>${NAME}</c> (unset is an error) or
/// <c>${?NAME}</c> (unset leaves the key as an earlier line or file set it; in a list, no element).
/// The name is looked up in the environment only, not among the configuration's own keys.</para>
/// Not supported: includes, substitutions of configuration paths or inside a longer value, <c>+=</c>,
/// triple-quoted strings.
/// </remarks>
internal sealed partial class HoconParser
{
    private readonly string _text;
    private readonly string _source;
    private readonly Func<string, string?> _environment;
    private readonly Dictionary<string, string?> _values = new(StringComparer.OrdinalIgnoreCase);
    private int _pos;

    private HoconParser(string text, string source, Func<string, string?> environment)
    {
        _text = text;
        _source = source;
        _environment = environment;
    }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> with line and column on a syntax error.</summary>
    /// <param name="text">The HOCON text.</param>
    /// <param name="source">The name errors give (a file name).</param>
    /// <param name="environment">Where <c>${NAME}</c> is looked up; the process environment when null.</param>
    public static IDictionary<string, string?> Parse(string text, string source = "hocon", Func<string, string?>? environment = null)
    {
        var parser = new HoconParser(text, source, environment ?? Environment.GetEnvironmentVariable);
        parser.SkipWhitespace();
        if (parser.Peek() == '{')
        {
            parser._pos++;
            parser.ParseMembers(prefix: null, closing: '}');
        }
        else
        {
            parser.ParseMembers(prefix: null, closing: null);
        }

        return parser._values;
    }

    private void ParseMembers(string? prefix, char? closing)
    {
        while (true)
        {
            SkipWhitespace(newlines: true, commas: true);
            if (AtEnd)
            {
                if (closing is not null)
                {
                    throw Error($"expected '{closing}' before the end");
                }

                return;
            }

            if (Peek() == closing)
            {
                _pos++;
                return;
            }

            string key = Combine(prefix, ParseKeyPath());
            SkipWhitespace();
            char c = Peek();
            if (c is '=' or ':')
            {
                _pos++;
                SkipWhitespace();
            }
            else if (c != '{')
            {
                throw Error($"expected '=', ':' or '{{' after key '{key}'");
            }

            ParseValue(key);
        }
    }

    /// <summary>Reads the value of <paramref name="key"/>; false when it was an unset optional substitution.</summary>
    private bool ParseValue(string key)
    {
        SkipWhitespace();
        char c = Peek();
        if (c == '$' && Next() == '{')
        {
            return ParseSubstitution(key);
        }

        if (c == '{')
        {
            _pos++;
            ParseMembers(key, '}');
        }
        else if (c == '[')
        {
            _pos++;
            RemoveUnder(key);
            int index = 0;
            while (true)
            {
                SkipWhitespace(newlines: true, commas: true);
                if (AtEnd)
                {
                    throw Error("expected ']' before the end");
                }

                if (Peek() == ']')
                {
                    _pos++;
                    break;
                }

                if (ParseValue(Combine(key, index.ToString(CultureInfo.InvariantCulture))))
                {
                    index++;
                }
            }

            if (index == 0)
            {
                _values[key] = "";
            }
        }
        else if (c == '"')
        {
            RemoveUnder(key);
            _values[key] = ParseQuoted();
        }
        else
        {
            RemoveUnder(key);
            string raw = ParseUnquotedValue();
            _values[key] = raw == "null" ? null : IsAkka(key) ? raw : Convert(raw);
        }

        return true;
    }

    private bool ParseSubstitution(string key)
    {
        int start = _pos;
        _pos += 2;
        bool optional = Peek() == '?';
        if (optional)
        {
            _pos++;
        }

        int nameStart = _pos;
        while (!AtEnd && _text[_pos] is not ('}' or '\n'))
        {
            _pos++;
        }

        if (Peek() != '}')
        {
            _pos = start;
            throw Error("unterminated ${");
        }

        string name = _text[nameStart.._pos].Trim();
        _pos++;
        if (name.Length == 0)
        {
            _pos = start;
            throw Error("${} needs an environment variable's name");
        }

        SkipWhitespace();
        if (!AtEnd && _text[_pos] is not ('\n' or ',' or '}' or ']'))
        {
            throw Error($"${{{name}}} must be the whole value (no text around a substitution)");
        }

        string? value = _environment(name);
        if (value is null)
        {
            if (optional)
            {
                return false;
            }

            _pos = start;
            throw Error($"environment variable {name} is not set (write ${{?{name}}} to make it optional)");
        }

        RemoveUnder(key);
        _values[key] = IsAkka(key) ? value : Convert(value);
        return true;
    }

    private static bool IsAkka(string key) =>
        key.Equals("akka", StringComparison.OrdinalIgnoreCase) || key.StartsWith("akka:", StringComparison.OrdinalIgnoreCase);

    private string ParseKeyPath()
    {
        var segments = new List<string>();
        while (true)
        {
            SkipWhitespace();
            if (Peek() == '"')
            {
                segments.Add(ParseQuoted());
            }
            else
            {
                int start = _pos;
                while (!AtEnd && !IsKeyDelimiter(_text[_pos]))
                {
                    _pos++;
                }

                string segment = _text[start.._pos].Trim();
                if (segment.Length == 0)
                {
                    throw Error("expected a key");
                }

                segments.Add(segment);
            }

            if (Peek() == '.')
            {
                _pos++;
                continue;
            }

            return string.Join(':', segments);
        }
    }

    private string ParseQuoted()
    {
        _pos++;
        var builder = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw Error("unterminated string");
            }

            char c = _text[_pos++];
            if (c == '"')
            {
                return builder.ToString();
            }

            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            if (AtEnd)
            {
                throw Error("unterminated escape");
            }

            char escaped = _text[_pos++];
            if (escaped == 'u' && (_pos + 4 > _text.Length || !int.TryParse(_text.AsSpan(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _)))
            {
                throw Error("\\u needs four hex digits");
            }

            builder.Append(escaped switch
            {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'b' => '\b',
                'f' => '\f',
                'u' => (char)int.Parse(_text.AsSpan(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                _ => escaped,
            });
            if (escaped == 'u')
            {
                _pos += 4;
            }
        }
    }

    private string ParseUnquotedValue()
    {
        int start = _pos;
        while (!AtEnd && _text[_pos] is not ('\n' or ',' or '}' or ']' or '#') && !(_text[_pos] == '/' && Next() == '/'))
        {
            _pos++;
        }

        string value = _text[start.._pos].Trim();
        return value.Length > 0 ? value : throw Error("expected a value");
    }

    private static string Convert(string raw)
    {
        Match duration = DurationPattern().Match(raw);
        if (duration.Success)
        {
            double amount = double.Parse(duration.Groups[1].Value, CultureInfo.InvariantCulture);
            TimeSpan span = duration.Groups[2].Value switch
            {
                "ms" or "milliseconds" => TimeSpan.FromMilliseconds(amount),
                "s" or "seconds" => TimeSpan.FromSeconds(amount),
                "m" or "minutes" => TimeSpan.FromMinutes(amount),
                "h" or "hours" => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
            return span.ToString("c", CultureInfo.InvariantCulture);
        }

        Match size = SizePattern().Match(raw);
        if (size.Success)
        {
            long amount = long.Parse(size.Groups[1].Value, CultureInfo.InvariantCulture);
            // HOCON's size units: K/Ki/KiB are powers of two, kB/KB/MB/GB powers of ten.
            long unit = size.Groups[2].Value.ToUpperInvariant() switch
            {
                "B" => 1,
                "K" or "KI" or "KIB" => 1024,
                "KB" => 1000,
                "M" or "MI" or "MIB" => 1024 * 1024,
                "MB" => 1000 * 1000,
                "G" or "GI" or "GIB" => 1024L * 1024 * 1024,
                _ => 1000L * 1000 * 1000,
            };
            return (amount * unit).ToString(CultureInfo.InvariantCulture);
        }

        return raw;
    }

    private void RemoveUnder(string key)
    {
        string prefix = key + ":";
        foreach (string existing in _values.Keys.Where(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            _values.Remove(existing);
        }
    }

    private void SkipWhitespace(bool newlines = false, bool commas = false)
    {
        while (!AtEnd)
        {
            char c = _text[_pos];
            if (c == '#' || (c == '/' && Next() == '/'))
            {
                while (!AtEnd && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else if (c is ' ' or '\t' or '\r' || (newlines && c == '\n') || (commas && c == ',') || c == '\uFEFF')
            {
                _pos++;
            }
            else
            {
                return;
            }
        }
    }

    private static bool IsKeyDelimiter(char c) => c is '.' or '=' or ':' or '{' or '}' or '[' or ']' or ',' or '\n' or '"' or '#' or ' ' or '\t' or '\r';

    private static string Combine(string? prefix, string key) => prefix is null ? key : prefix + ":" + key;

    private bool AtEnd => _pos >= _text.Length;

    private char Peek() => AtEnd ? '\0' : _text[_pos];

    private char Next() => _pos + 1 < _text.Length ? _text[_pos + 1] : '\0';

    private FormatException Error(string what)
    {
        int line = 1 + _text.AsSpan(0, Math.Min(_pos, _text.Length)).Count('\n');
        int column = _pos - (_text.LastIndexOf('\n', Math.Max(0, Math.Min(_pos, _text.Length) - 1)) + 1) + 1;
        return new FormatException($"{_source}({line},{column}): {what}.");
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(ms|milliseconds|s|seconds|m|minutes|h|hours|d|days)$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(\d+)\s*(B|K|Ki|KiB|KB|M|Mi|MiB|MB|G|Gi|GiB|GB)$", RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();
}

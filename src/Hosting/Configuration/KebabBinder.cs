using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace AkkaProxy.Hosting.Configuration;

/// <summary>
/// Binds scalar properties from kebab-case keys (<c>max-event-bytes</c> → <c>MaxEventBytes</c>).
/// The PascalCase key (<c>MaxEventBytes</c>, as environment variables and the command line write it)
/// wins over the kebab-case one, so <c>AKKAPROXY__PIPELINE__MAXEVENTBYTES</c> overrides a file.
/// </summary>
internal static class KebabBinder
{
    /// <summary>Binds what it can; throws once, naming every value that is not valid (one per line), after trying them all.</summary>
    public static T Bind<T>(IConfigurationSection section, T target)
        where T : notnull
    {
        List<string>? errors = null;
        foreach (PropertyInfo property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite)
            {
                continue;
            }

            string? raw = section[property.Name] ?? section[Kebab(property.Name)];
            if (raw is null)
            {
                continue;
            }

            Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            TypeConverter converter = TypeDescriptor.GetConverter(type);
            if (!converter.CanConvertFrom(typeof(string)))
            {
                continue;
            }

            try
            {
                property.SetValue(target, raw.Length == 0 && type != typeof(string) ? null : converter.ConvertFromInvariantString(raw));
            }
            catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException)
            {
                string choices = type.IsEnum ? $" (use {string.Join(", ", Enum.GetNames(type).Select(name => name.ToLowerInvariant()))})" : "";
                (errors ??= []).Add($"{section.Path}:{Kebab(property.Name)} = '{raw}' is not a valid {type.Name}{choices}.");
            }
        }

        return errors is null ? target : throw new InvalidOperationException(string.Join('\n', errors));
    }

    /// <summary><c>MaxEventBytes</c> → <c>max-event-bytes</c>.</summary>
    public static string Kebab(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 4);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c) && i > 0)
            {
                builder.Append('-');
            }

            builder.Append(char.ToLower(c, CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}

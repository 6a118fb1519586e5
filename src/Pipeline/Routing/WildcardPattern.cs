namespace AkkaProxy.Pipeline.Routing;

/// <summary>Matches names against patterns where <c>*</c> stands for any run of characters.</summary>
internal static class WildcardPattern
{
    /// <summary>True when <paramref name="value"/> matches <paramref name="pattern"/> (ordinal, case-sensitive).</summary>
    public static bool IsMatch(string pattern, string value) => IsMatch(pattern.AsSpan(), value.AsSpan());

    private static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> value)
    {
        int star = pattern.IndexOf('*');
        if (star < 0)
        {
            return pattern.SequenceEqual(value);
        }

        if (!value.StartsWith(pattern[..star]))
        {
            return false;
        }

        ReadOnlySpan<char> rest = pattern[(star + 1)..];
        ReadOnlySpan<char> remaining = value[star..];
        if (rest.IsEmpty)
        {
            return true;
        }

        for (int i = 0; i <= remaining.Length; i++)
        {
            if (IsMatch(rest, remaining[i..]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Orders patterns so the most specific is tried first: exact names, then longer patterns.</summary>
    public static int Specificity(string pattern) => pattern.Contains('*') ? pattern.Length - pattern.Count(c => c == '*') : int.MaxValue;
}

using System.Globalization;

namespace AkkaProxy.LoadHarness.Report;

/// <summary>Number formatting for the report: invariant culture, "–" for what was not measured.</summary>
internal static class Fmt
{
    public const string None = "–";

    public static string N0(double value) => double.IsFinite(value) ? value.ToString("N0", CultureInfo.InvariantCulture) : None;

    public static string F(double value, int digits) => double.IsFinite(value) ? value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : None;

    /// <summary>A ratio as "0.63×".</summary>
    public static string X(double value) => double.IsFinite(value) ? value.ToString("0.00", CultureInfo.InvariantCulture) + "×" : None;

    public static double Ratio(double numerator, double denominator) =>
        denominator > 0 && double.IsFinite(numerator) && double.IsFinite(denominator) ? numerator / denominator : double.NaN;
}

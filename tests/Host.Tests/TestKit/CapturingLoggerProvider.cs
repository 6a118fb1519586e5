using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>
/// A logger provider that keeps every log entry of the host, every category and level it lets
/// through: the formatted message, the exception, each structured value, and each scope around it
/// (it takes part in the factory's scopes, as the console logger does).
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>One log entry as a sink would see it: every string in it, in <see cref="Texts"/>.</summary>
    public sealed record LogEntry(string Category, LogLevel Level, string Message, string? Exception, IReadOnlyList<KeyValuePair<string, string?>> Values, IReadOnlyList<string> Scopes)
    {
        /// <summary>The message, the exception, every value and every scope, as text.</summary>
        public IEnumerable<string> Texts =>
            new[] { Message, Exception ?? "" }.Concat(Values.Select(value => $"{value.Key}={value.Value}")).Concat(Scopes);

        public string? Value(string key) => Values.FirstOrDefault(value => value.Key == key).Value;
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new List<KeyValuePair<string, string?>>();
            if (state is IEnumerable<KeyValuePair<string, object?>> structured)
            {
                values.AddRange(structured.Select(pair => new KeyValuePair<string, string?>(pair.Key, Convert.ToString(pair.Value, System.Globalization.CultureInfo.InvariantCulture))));
            }

            var scopes = new List<string>();
            provider._scopes.ForEachScope((scope, list) =>
            {
                list.Add(Convert.ToString(scope, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    list.AddRange(pairs.Select(pair => $"{pair.Key}={pair.Value}"));
                }
            }, scopes);
            provider.Entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), exception?.ToString(), values, scopes));
        }
    }
}

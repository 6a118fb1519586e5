using System.Collections;
using System.Reflection;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Hosting.Lifecycle;
using AkkaProxy.Hosting.Observability;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Pooling;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Hosting.Configuration;

/// <summary>
/// Every key the relay reads under <c>akkaproxy</c>, as a tree, so a key it would not read is an
/// error at start-up instead of a setting silently left at its default (<c>requests-per-minit</c>
/// leaves a key unlimited; a price's <c>inptu</c> makes input free). Each unknown key is named by its
/// path, with the nearest known name at its level when one is close. Names match as the binder
/// reads them: kebab-case or PascalCase, in any case (environment variables write
/// <c>AKKAPROXY__PIPELINE__IDLETIMEOUT</c>).
/// </summary>
internal static class ConfigurationKeys
{
    private static readonly Node Provider = Node.Object(
        ("enabled", Node.Leaf), ("kind", Node.Leaf), ("base-url", Node.Leaf), ("api-key-env", Node.Leaf), ("api-key", Node.Leaf),
        ("accepts-stream-options", Node.Leaf), ("accepts-slash-models", Node.Leaf), ("transport", Node.Leaf), ("api-version", Node.Leaf),
        ("region", Node.Leaf), ("access-key-id-env", Node.Leaf), ("secret-access-key-env", Node.Leaf), ("session-token-env", Node.Leaf),
        ("headers", Node.Map(Node.Leaf)), ("models", Node.Any));

    private static readonly Node Root = Node.Object(
        ("pipeline", Node.Of<ProxyStreamOptions>(("stages", Node.Any))), // a stage entry's settings are its factory's
        ("websocket", Node.Of<WebSocketRelayOptions>()),
        ("upstream-websocket", Node.Of<UpstreamSocketPoolOptions>()),
        ("routing", Node.Object(("default-provider", Node.Leaf), ("model-map", Node.Map(Node.Leaf)), ("providers", Node.Map(Provider)))),
        ("pricing", Node.Map(Node.Of<ModelPrice>())),
        ("auth", Node.Of<RelayAuthOptions>(("keys", Node.Map(Node.Of<RelayKeyOptions>(("id", null)))))),
        ("billing", Node.Of<BillingOptions>()),
        ("ledger", Node.Of<LedgerOptions>()),
        ("cluster", Node.Of<AkkaProxy.Hosting.Cluster.RelayClusterOptions>()),
        ("observability", Node.Of<ObservabilityOptions>()),
        ("shutdown", Node.Of<ShutdownOptions>()));

    /// <summary>One line per key under <c>akkaproxy</c> the relay does not read: its path, and what was probably meant.</summary>
    public static IReadOnlyList<string> Unknown(IConfiguration config)
    {
        var problems = new List<string>();
        Walk(config.GetSection(RelayConfiguration.Root), Root, "akkaproxy", problems);
        return problems;
    }

    private static void Walk(IConfigurationSection section, Node node, string path, List<string> problems)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            string childPath = path + "." + child.Key;
            if (node.Kind == NodeKind.Any)
            {
                continue;
            }

            if (node.Kind == NodeKind.Leaf)
            {
                problems.Add($"{path} is a value, not a section: '{childPath}' is not read.");
                continue;
            }

            Node? next = node.Kind == NodeKind.Map ? node.Entries : node.Find(child.Key);
            if (next is null)
            {
                string? near = Nearest(child.Key, node.Names);
                problems.Add($"Unknown setting '{childPath}'" + (near is null ? $"; {path} has: {string.Join(", ", node.Names)}." : $": did you mean '{path}.{near}'?"));
                continue;
            }

            Walk(child, next, childPath, problems);
        }
    }

    /// <summary>The known name closest to <paramref name="key"/>, when it is close enough to be a typo (edit distance at most a third of its length, and 3).</summary>
    internal static string? Nearest(string key, IEnumerable<string> names)
    {
        string typed = key.ToLowerInvariant();
        (string? best, int distance) = (null, int.MaxValue);
        foreach (string name in names)
        {
            int d = Distance(typed, name);
            if (d < distance)
            {
                (best, distance) = (name, d);
            }
        }

        return distance <= Math.Min(3, Math.Max(1, typed.Length / 3)) ? best : null;
    }

    /// <summary>Levenshtein distance, with a swap of two neighbours counted as one edit.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private enum NodeKind
    {
        Leaf,
        Any,
        Object,
        Map,
    }

    /// <summary>A place in the tree: a value, anything (a list), an object with named children, or a map whose every entry has one shape.</summary>
    private sealed class Node
    {
        private readonly Dictionary<string, Node> _children = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _names = [];

        private Node(NodeKind kind, Node? entries = null)
        {
            Kind = kind;
            Entries = entries;
        }

        public static Node Leaf { get; } = new(NodeKind.Leaf);

        public static Node Any { get; } = new(NodeKind.Any);

        public NodeKind Kind { get; }

        public Node? Entries { get; }

        public IEnumerable<string> Names => _names;

        public static Node Map(Node entries) => new(NodeKind.Map, entries);

        public static Node Object(params (string Name, Node Child)[] children)
        {
            var node = new Node(NodeKind.Object);
            foreach ((string name, Node child) in children)
            {
                node.Add(name, child);
            }

            return node;
        }

        /// <summary>
        /// The settable properties of <typeparamref name="T"/> as the binder reads them; <paramref name="overrides"/>
        /// replace one (a list of objects configured as a map) or, with null, remove it (set by the relay).
        /// </summary>
        public static Node Of<T>(params (string Name, Node? Child)[] overrides)
        {
            var node = new Node(NodeKind.Object);
            foreach (PropertyInfo property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                string name = KebabBinder.Kebab(property.Name);
                if (overrides.Any(o => o.Name == name))
                {
                    continue;
                }

                Type type = property.PropertyType;
                node.Add(name, type != typeof(string) && typeof(IDictionary).IsAssignableFrom(type) ? Map(Leaf)
                    : type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) ? Any
                    : Leaf);
            }

            foreach ((string name, Node? child) in overrides)
            {
                if (child is not null)
                {
                    node.Add(name, child);
                }
            }

            return node;
        }

        public Node? Find(string key) =>
            _children.TryGetValue(key, out Node? child) || _children.TryGetValue(KebabBinder.Kebab(key), out child) ? child : null;

        private void Add(string name, Node child)
        {
            _children[name] = child;
            _children[name.Replace("-", "", StringComparison.Ordinal)] = child; // PascalCase, as environment variables write it
            _names.Add(name);
        }
    }
}

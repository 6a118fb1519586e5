using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Pipeline.Stages;

/// <summary>Creates a stage named in configuration (<c>pipeline.stages = [{ factory = "name", … }]</c>).</summary>
public interface IProxyStageFactory
{
    /// <summary>The name configuration uses.</summary>
    string Name { get; }

    /// <summary>Builds the stage from its configuration section, at start-up.</summary>
    /// <exception cref="ArgumentException">The section is invalid; the message says which key to fix.</exception>
    ProxyStage Create(IConfiguration section);
}

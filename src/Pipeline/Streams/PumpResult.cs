namespace AkkaProxy.Pipeline.Streams;

/// <summary>Why a run's response pump stopped.</summary>
internal enum PumpResult
{
    /// <summary>The upstream ended its body.</summary>
    UpstreamEnded,

    /// <summary>The client stopped accepting bytes.</summary>
    ClientGone,

    /// <summary>An event exceeded <see cref="ProxyStreamOptions.MaxEventBytes"/>.</summary>
    FrameTooLarge,

    /// <summary>A binary event stream failed its checks (a CRC, a length): nothing after it could be read.</summary>
    UpstreamCorrupt,
}

namespace AkkaProxy.Pipeline.Framing;

/// <summary>The result of asking a decoder for the next frame.</summary>
internal enum DecodeStatus
{
    /// <summary>A frame was produced.</summary>
    Frame,

    /// <summary>The buffer holds no complete frame yet; read more.</summary>
    NeedMoreData,

    /// <summary>The frame being read is larger than the configured maximum.</summary>
    FrameTooLarge,

    /// <summary>The bytes cannot be a frame (a binary framing's checksum or lengths fail): the stream cannot be read on.</summary>
    Corrupt,
}

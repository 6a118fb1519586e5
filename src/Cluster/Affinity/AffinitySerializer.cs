using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace AkkaProxy.Cluster.Affinity;

/// <summary>
/// The wire form of the response directory's messages (<see cref="IAffinityMessage"/>) between nodes:
/// a one-letter manifest and its strings, length-prefixed UTF-8.
/// </summary>
internal sealed class AffinitySerializer : SerializerWithStringManifest
{
    private const string Held = "H", Released = "R", Where = "W", At = "A";

    /// <summary>Created by Akka's serialization, with the system it serves.</summary>
    public AffinitySerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => 1_744_018;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        SocketHeld => Held,
        SocketReleased => Released,
        WhereIsSocket => Where,
        SocketAt => At,
        _ => throw new ArgumentException($"{o.GetType()} is not a response directory message.", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        (string id, string? node, string? member) = obj switch
        {
            SocketHeld held => (held.ResponseId, held.Node, held.Member),
            SocketReleased released => (released.ResponseId, released.Node, (string?)null),
            WhereIsSocket where => (where.ResponseId, (string?)null, (string?)null),
            SocketAt at => (at.ResponseId, at.Node, (string?)null),
            _ => throw new ArgumentException($"{obj.GetType()} is not a response directory message.", nameof(obj)),
        };
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8))
        {
            writer.Write(id);
            if (node is not null)
            {
                writer.Write(node);
            }

            if (member is not null)
            {
                writer.Write(member);
            }
        }

        return stream.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        string id = reader.ReadString();
        return manifest switch
        {
            Held => new SocketHeld(id, reader.ReadString(), reader.ReadString()),
            Released => new SocketReleased(id, reader.ReadString()),
            Where => new WhereIsSocket(id),
            At => new SocketAt(id, reader.ReadString()),
            _ => throw new SerializationException($"Unknown response directory message manifest '{manifest}'."),
        };
    }
}

using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;
using AkkaProxy.Hosting.Configuration;

namespace AkkaProxy.Cluster.Limits;

/// <summary>
/// The wire form of the key limits' messages (<see cref="IKeyLimitsMessage"/>) between nodes: a
/// one-letter manifest per message and its fields in a fixed binary order; actor references as
/// their serialized paths. Bound to the messages in the cluster's configuration.
/// </summary>
internal sealed class KeyLimitsSerializer : SerializerWithStringManifest
{
    private const string Ask = "A", Grant = "G", Closed = "C", Reclaim = "R", Return = "T", Spend = "S", Reset = "X", Dropped = "D";

    /// <summary>Created by Akka's serialization, with the system it serves.</summary>
    public KeyLimitsSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => 1_744_017;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        LeaseAsk => Ask,
        LeaseGrant => Grant,
        LeaseClosed => Closed,
        LeaseReclaim => Reclaim,
        LeaseReturn => Return,
        KeySpend => Spend,
        LeaseReset => Reset,
        LeaseDropped => Dropped,
        _ => throw new ArgumentException($"{o.GetType()} is not a key limits message.", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            switch (obj)
            {
                case LeaseAsk ask:
                    writer.Write(ask.KeyId);
                    WriteRef(writer, ask.Holder);
                    writer.Write(ask.Wanted);
                    writer.Write(ask.Prefetch);
                    writer.Write(ask.NeedsBudget);
                    writer.Write(ask.NeedsTokens);
                    writer.Write(ask.Limits.RequestsPerMinute);
                    writer.Write(ask.Limits.TokensPerMinute);
                    writer.Write(ask.Limits.Budget);
                    writer.Write((byte)ask.Limits.BudgetPeriod);
                    break;
                case LeaseGrant grant:
                    writer.Write(grant.KeyId);
                    WriteTime(writer, grant.Window);
                    WriteTime(writer, grant.PeriodStart);
                    writer.Write(grant.Requests);
                    writer.Write(grant.Budget);
                    writer.Write(grant.Tokens);
                    writer.Write(grant.ValidFor.Ticks);
                    break;
                case LeaseClosed closed:
                    writer.Write(closed.KeyId);
                    writer.Write((byte)closed.Limit);
                    writer.Write(closed.Used);
                    WriteTime(writer, closed.Until);
                    writer.Write(closed.ResetsIn.Ticks);
                    break;
                case LeaseReclaim reclaim:
                    writer.Write(reclaim.KeyId);
                    WriteTime(writer, reclaim.Window);
                    writer.Write((byte)reclaim.Limit);
                    break;
                case LeaseReturn returned:
                    writer.Write(returned.KeyId);
                    WriteRef(writer, returned.Holder);
                    WriteTime(writer, returned.Window);
                    writer.Write((byte)returned.Limit);
                    writer.Write(returned.Requests);
                    writer.Write(returned.Budget);
                    writer.Write(returned.Tokens);
                    break;
                case KeySpend spend:
                    writer.Write(spend.KeyId);
                    WriteRef(writer, spend.Holder);
                    WriteTime(writer, spend.StartedAt);
                    writer.Write(spend.Tokens);
                    writer.Write(spend.Cost.HasValue);
                    writer.Write(spend.Cost.GetValueOrDefault());
                    break;
                case LeaseReset reset:
                    writer.Write(reset.KeyId);
                    writer.Write(reset.Round);
                    break;
                case LeaseDropped dropped:
                    writer.Write(dropped.KeyId);
                    WriteRef(writer, dropped.Holder);
                    writer.Write(dropped.Round);
                    break;
                default:
                    throw new ArgumentException($"{obj.GetType()} is not a key limits message.", nameof(obj));
            }
        }

        return stream.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
        string keyId = reader.ReadString();
        return manifest switch
        {
            Ask => new LeaseAsk(keyId, ReadRef(reader), reader.ReadInt32(), reader.ReadBoolean(), reader.ReadBoolean(), reader.ReadBoolean(),
                new KeyLimits(reader.ReadInt32(), reader.ReadInt64(), reader.ReadDecimal(), (BudgetPeriod)reader.ReadByte())),
            Grant => new LeaseGrant(keyId, ReadTime(reader), ReadTime(reader), reader.ReadInt32(), reader.ReadDecimal(), reader.ReadInt64(), new TimeSpan(reader.ReadInt64())),
            Closed => new LeaseClosed(keyId, (KeyLimit)reader.ReadByte(), reader.ReadDecimal(), ReadTime(reader), new TimeSpan(reader.ReadInt64())),
            Reclaim => new LeaseReclaim(keyId, ReadTime(reader), (KeyLimit)reader.ReadByte()),
            Return => new LeaseReturn(keyId, ReadRef(reader), ReadTime(reader), (KeyLimit)reader.ReadByte(), reader.ReadInt32(), reader.ReadDecimal(), reader.ReadInt64()),
            Spend => ReadSpend(keyId, reader),
            Reset => new LeaseReset(keyId, reader.ReadInt64()),
            Dropped => new LeaseDropped(keyId, ReadRef(reader), reader.ReadInt64()),
            _ => throw new SerializationException($"Unknown key limits message manifest '{manifest}'."),
        };
    }

    private KeySpend ReadSpend(string keyId, BinaryReader reader)
    {
        IActorRef holder = ReadRef(reader);
        DateTimeOffset startedAt = ReadTime(reader);
        long tokens = reader.ReadInt64();
        bool priced = reader.ReadBoolean();
        decimal cost = reader.ReadDecimal();
        return new KeySpend(keyId, holder, startedAt, tokens, priced ? cost : null);
    }

    private static void WriteRef(BinaryWriter writer, IActorRef actor) => writer.Write(Akka.Serialization.Serialization.SerializedActorPath(actor));

    private IActorRef ReadRef(BinaryReader reader) => system.Provider.ResolveActorRef(reader.ReadString());

    private static void WriteTime(BinaryWriter writer, DateTimeOffset at) => writer.Write(at.UtcTicks);

    private static DateTimeOffset ReadTime(BinaryReader reader) => new(reader.ReadInt64(), TimeSpan.Zero);
}

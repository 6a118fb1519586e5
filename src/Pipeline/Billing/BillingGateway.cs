using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka;
using Akka.Actor;
using AkkaProxy.Pipeline.Actors;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>
/// The front of billing: request handlers hand records over with <see cref="EnqueueAsync"/>, and the
/// <see cref="BillingActor"/> delivers them to the sinks, one record at a time, in the order handed over.
/// </summary>
/// <remarks>
/// <para>The promises: no record is dropped; at most <see cref="Capacity"/> handed-over records wait for
/// the sinks, and past that <see cref="EnqueueAsync"/> waits (records are handed over after the client's
/// response completed, so the handler waits, never a stream); a failing sink is logged, fails no request,
/// and the other sinks still get the record; sinks are never called concurrently.</para>
/// <para>The records wait here, in a queue bounded by the credits, not in the actor's mailbox: the actor
/// is told to deliver the next one. So whatever is still queued when the actor stops (the actor system's
/// <see cref="CoordinatedShutdown"/> drains the queue in its <c>before-actor-system-terminate</c> phase,
/// and a stopped actor drains it too) is delivered here instead of going to dead letters, and a record
/// that arrives after that is delivered inline, still taking its turn with any other delivery.</para>
/// <para>Records handed over before the actor started (see <see cref="Start"/>) wait for it.</para>
/// </remarks>
public sealed class BillingGateway
{
    private readonly IBillingSink[] _sinks;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _credits;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly ConcurrentQueue<Pending> _queue = new();
    private readonly Lock _gate = new();
    private ImmutableArray<IActorRef> _subscribers = [];
    private IActorRef? _actor;
    private bool _stopped;
    private long _delivered;
    private long _accepted;
    private TaskCompletionSource? _deliveredSignal;
    private int _background;

    /// <summary>Creates the gateway. Nothing is delivered until <see cref="Start"/> (or a shutdown drain).</summary>
    /// <param name="sinks">Where every record goes, in this order.</param>
    /// <param name="logger">Where sink failures are logged.</param>
    /// <param name="capacity">Records that may wait for the sinks before <see cref="EnqueueAsync"/> waits.</param>
    public BillingGateway(IEnumerable<IBillingSink> sinks, ILogger<BillingGateway> logger, int capacity = 10_000)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _sinks = [.. sinks];
        _logger = logger;
        Capacity = capacity;
        _credits = new SemaphoreSlim(capacity, capacity);
    }

    /// <summary>How many handed-over records may wait for the sinks before <see cref="EnqueueAsync"/> waits.</summary>
    public int Capacity { get; }

    /// <summary>Records written to every sink so far (a subscriber is told a record after it is counted).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>
    /// Hands a record over; completes at once unless <see cref="Capacity"/> records are waiting, then once
    /// one of them reached the sinks. Once the gateway drained for shutdown (or its actor stopped), the
    /// record is delivered before this completes. Never drops the record.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <param name="cancellationToken">Stops waiting for room; the record is then not handed over.</param>
    public ValueTask EnqueueAsync(BillingRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        Interlocked.Increment(ref _accepted);
        return _credits.Wait(0) ? HandOver(record) : EnqueueSlowAsync(record, cancellationToken);
    }

    /// <summary>Waits for one credit: room for a record that <see cref="HandOverReserved"/> will hand over. Completes at once while there is room.</summary>
    internal ValueTask ReserveAsync() => _credits.Wait(0) ? ValueTask.CompletedTask : new ValueTask(_credits.WaitAsync());

    /// <summary>Hands over a record whose credit was reserved with <see cref="ReserveAsync"/>; never waits (after a stop, the inline delivery runs in the background and the drain waits for it).</summary>
    internal void HandOverReserved(BillingRecord record)
    {
        Interlocked.Increment(ref _accepted);
        Track(HandOver(record));
    }

    /// <summary>
    /// Completes once as many records have reached every sink as had been handed over when it was
    /// called (a key's limits entity starting on another node reads them back from the ledger).
    /// Nothing is allocated per record for it: only a waiter makes the signal the delivery completes.
    /// </summary>
    internal async Task WhenDeliveredAsync(CancellationToken cancellationToken)
    {
        long target = Interlocked.Read(ref _accepted);
        while (true)
        {
            TaskCompletionSource? signal = Volatile.Read(ref _deliveredSignal);
            if (signal is null)
            {
                var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = Interlocked.CompareExchange(ref _deliveredSignal, mine, null) ?? mine;
            }

            if (Delivered >= target)
            {
                return;
            }

            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Hands over a record without a reservation and without waiting: when every credit is taken it waits for one in the background, and the shutdown drain waits for it.</summary>
    internal void HandOverInBackground(BillingRecord record) => Track(EnqueueAsync(record, CancellationToken.None));

    /// <summary>Gives back a credit reserved with <see cref="ReserveAsync"/> for a record that was not handed over.</summary>
    internal void ReturnCredit() => _credits.Release();

    /// <summary>Hand-offs still waiting (for a credit, or an inline delivery after a stop); the drain waits for them.</summary>
    internal int BackgroundHandOffs => Volatile.Read(ref _background);

    private void Track(ValueTask handOff)
    {
        if (handOff.IsCompletedSuccessfully)
        {
            return;
        }

        Interlocked.Increment(ref _background);
        _ = AwaitBackgroundAsync(handOff);
    }

    private async Task AwaitBackgroundAsync(ValueTask handOff)
    {
        try
        {
            await handOff.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Handing a billing record over failed.");
        }
        finally
        {
            Interlocked.Decrement(ref _background);
        }
    }

    /// <summary>
    /// Starts the <see cref="BillingActor"/> in <paramref name="system"/>, delivers what was handed over
    /// before, and adds the drain to the system's <see cref="CoordinatedShutdown"/>
    /// (<see cref="CoordinatedShutdown.PhaseBeforeActorSystemTerminate"/>). <c>WithAkkaProxy</c> calls it;
    /// call it yourself only with an actor system that Akka.Hosting does not build. Once per gateway.
    /// </summary>
    /// <returns>The billing actor.</returns>
    public IActorRef Start(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (Volatile.Read(ref _actor) is not null)
        {
            throw new InvalidOperationException("This billing gateway already has its actor; start it once.");
        }

        IActorRef actor = RelayActors.SpawnUnder(RelayActors.For(system).Root, BillingActor.Props(this), BillingActor.Name);
        Attach(actor);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "akkaproxy-billing-drain", async () =>
        {
            await StopAsync().ConfigureAwait(false);
            return Done.Instance;
        });
        return actor;
    }

    /// <summary>Ties the gateway to its actor and tells it about every record already waiting.</summary>
    internal void Attach(IActorRef actor)
    {
        int waiting;
        lock (_gate)
        {
            if (_actor is not null)
            {
                throw new InvalidOperationException("This billing gateway already has its actor; start it once.");
            }

            _actor = actor;
            waiting = _queue.Count;
        }

        for (int i = 0; i < waiting; i++)
        {
            actor.Tell(BillingActor.DeliverNext.Instance);
        }
    }

    /// <summary>
    /// From now on records are delivered inline; returns once every record handed over before reached
    /// the sinks (including one the actor is delivering now). Idempotent.
    /// </summary>
    internal async Task StopAsync()
    {
        lock (_gate)
        {
            _stopped = true;
        }

        while (await DeliverNextAsync().ConfigureAwait(false))
        {
        }

        // Hand-offs made without waiting (a supervisor's) may still wait for a credit the drain just
        // freed, or deliver inline now: the drain is over once they are.
        // (Polled: this runs once, at shutdown, and only while such a hand-off is still out.)
        while (Volatile.Read(ref _background) > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5)).ConfigureAwait(false);
        }
    }

    /// <summary>The actor stopped (its system terminated, or someone stopped it): what still waits is delivered here.</summary>
    internal void ActorStopped() => _ = Task.Run(StopAsync);

    /// <summary>A record told to the actor by another actor: queued behind the others, without a credit.</summary>
    internal Task AcceptToldAsync(BillingRecord record) =>
        TryQueue(new Pending(record, HoldsCredit: false), out _) ? DeliverNextAsync() : DeliverInlineAsync(record, holdsCredit: false);

    /// <summary>Delivers the oldest waiting record, in turn; false when none was waiting.</summary>
    internal async Task<bool> DeliverNextAsync()
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_queue.TryDequeue(out Pending next))
            {
                return false;
            }

            await DeliverAsync(next.Record).ConfigureAwait(false);
            if (next.HoldsCredit)
            {
                _credits.Release();
            }

            return true;
        }
        finally
        {
            _turn.Release();
        }
    }

    internal void Subscribe(IActorRef subscriber) => ImmutableInterlocked.Update(ref _subscribers, (list, s) => list.Contains(s) ? list : list.Add(s), subscriber);

    internal void Unsubscribe(IActorRef subscriber) => ImmutableInterlocked.Update(ref _subscribers, (list, s) => list.Remove(s), subscriber);

    private async ValueTask EnqueueSlowAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        await _credits.WaitAsync(cancellationToken).ConfigureAwait(false);
        await HandOver(record).ConfigureAwait(false);
    }

    /// <summary>Queues a record that holds a credit and tells the actor; after a stop, delivers it inline.</summary>
    private ValueTask HandOver(BillingRecord record)
    {
        if (!TryQueue(new Pending(record, HoldsCredit: true), out IActorRef? actor))
        {
            return new ValueTask(DeliverInlineAsync(record, holdsCredit: true));
        }

        actor?.Tell(BillingActor.DeliverNext.Instance);
        return ValueTask.CompletedTask;
    }

    private bool TryQueue(Pending pending, out IActorRef? actor)
    {
        // Under the gate with the stop flag: a record is either queued before a stop (and the stop's drain
        // delivers it) or sees the stop (and is delivered inline); none is left behind in between.
        lock (_gate)
        {
            actor = _actor;
            if (_stopped)
            {
                return false;
            }

            _queue.Enqueue(pending);
            return true;
        }
    }

    private async Task DeliverInlineAsync(BillingRecord record, bool holdsCredit)
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            await DeliverAsync(record).ConfigureAwait(false);
            if (holdsCredit)
            {
                _credits.Release();
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task DeliverAsync(BillingRecord record)
    {
        foreach (IBillingSink sink in _sinks)
        {
            try
            {
                await sink.WriteAsync(record, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Billing sink {Sink} failed for request {RequestId}; the other sinks still get the record.", sink.GetType().Name, record.RequestId);
            }
        }

        Interlocked.Increment(ref _delivered);
        if (Volatile.Read(ref _deliveredSignal) is { } signal && Interlocked.CompareExchange(ref _deliveredSignal, null, signal) == signal)
        {
            signal.TrySetResult(); // someone waits for the deliveries so far
        }

        IActorRef sender = _actor ?? ActorRefs.Nobody;
        foreach (IActorRef subscriber in _subscribers)
        {
            subscriber.Tell(record, sender);
        }
    }

    private readonly record struct Pending(BillingRecord Record, bool HoldsCredit);
}

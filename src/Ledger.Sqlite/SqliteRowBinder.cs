using AkkaProxy.Hosting.Ledger;
using SQLitePCL;

namespace AkkaProxy.Ledger.Sqlite;

/// <summary>
/// Binds values to one prepared statement by position, skipping every value equal to the one already
/// bound there: SQLite keeps a statement's bindings across <c>sqlite3_reset</c>, and consecutive
/// records repeat most of their columns (the API, provider, models, outcome, status, nulls), so a row
/// costs a few native calls instead of one per column (each a P/Invoke, and for text a UTF-8 copy).
/// </summary>
/// <remarks>Used by one writer at a time, as its statement is.</remarks>
internal sealed class SqliteRowBinder(sqlite3_stmt statement, int columns)
{
    private enum Kind : byte
    {
        Unbound,
        Null,
        Text,
        Integer,
        Real,
    }

    private readonly Kind[] _kinds = new Kind[columns + 1];
    private readonly string?[] _texts = new string?[columns + 1];
    private readonly long[] _numbers = new long[columns + 1];

    /// <summary>The statement the values are bound to.</summary>
    public sqlite3_stmt Statement => statement;

    public void Text(int index, string? value)
    {
        if (value is null)
        {
            Null(index);
        }
        else if (_kinds[index] != Kind.Text || !string.Equals(_texts[index], value, StringComparison.Ordinal))
        {
            raw.sqlite3_bind_text(statement, index, value);
            _kinds[index] = Kind.Text;
            _texts[index] = value;
        }
    }

    public void Integer(int index, long value)
    {
        if (_kinds[index] != Kind.Integer || _numbers[index] != value)
        {
            raw.sqlite3_bind_int64(statement, index, value);
            Bound(index, Kind.Integer, value);
        }
    }

    public void Integer(int index, long? value)
    {
        if (value is long number)
        {
            Integer(index, number);
        }
        else
        {
            Null(index);
        }
    }

    public void Real(int index, double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        if (_kinds[index] != Kind.Real || _numbers[index] != bits)
        {
            raw.sqlite3_bind_double(statement, index, value);
            Bound(index, Kind.Real, bits);
        }
    }

    public void Real(int index, double? value)
    {
        if (value is double number)
        {
            Real(index, number);
        }
        else
        {
            Null(index);
        }
    }

    private void Null(int index)
    {
        if (_kinds[index] != Kind.Null)
        {
            raw.sqlite3_bind_null(statement, index);
            Bound(index, Kind.Null, 0);
        }
    }

    private void Bound(int index, Kind kind, long number)
    {
        _kinds[index] = kind;
        _texts[index] = null;
        _numbers[index] = number;
    }
}

using Npgsql;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// A fresh database of one test's own on the throwaway PostgreSQL server that
/// <c>scripts/with-postgres.sh</c> (run by <c>scripts/test.sh</c>) starts, dropped afterwards. Without
/// that server the test fails, saying how to run it: the PostgreSQL path is never skipped quietly.
/// </summary>
internal sealed class PostgresTestDatabase : IAsyncDisposable
{
    /// <summary>The variable holding the server's connection string (a superuser, database <c>postgres</c>).</summary>
    public const string Variable = "AKKAPROXY_TEST_POSTGRES";

    private readonly string _server;

    private PostgresTestDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>The database's name, unique to this test.</summary>
    public string Name { get; }

    /// <summary>A connection string for this database.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates the database (<c>CREATE DATABASE</c> with a unique name).</summary>
    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        string server = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set, so there is no PostgreSQL server for the PostgreSQL ledger tests. Run them through "
                + "./scripts/test.sh, or wrap the test command in scripts/with-postgres.sh (it starts a throwaway server and sets the variable).");
        var database = new PostgresTestDatabase(server, "akkaproxy_test_" + Guid.NewGuid().ToString("N"));
        await database.ServerCommandAsync($"CREATE DATABASE {database.Name}");
        return database;
    }

    /// <summary>One value from this database.</summary>
    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        object? value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    /// <summary>Every row of the ledger's table, column name → value, by request id.</summary>
    public async Task<Dictionary<string, Dictionary<string, object?>>> ReadRowsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT * FROM usage_records", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<string, Dictionary<string, object?>>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (int i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows[(string)row["request_id"]!] = row;
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await ServerCommandAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }

    private async Task ServerCommandAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

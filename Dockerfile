# The relay as a container: docker build -t akkaproxy . && docker run -p 8080:8080 -v akkaproxy-data:/data \
#   -e OPENAI_API_KEY=... -e TEAM_A_RELAY_KEY=... -v ./relay.conf:/app/hocon/akkaproxy.conf:ro akkaproxy
# Bound beyond loopback, the relay refuses to start without relay keys (akkaproxy.auth.keys): give it a
# configuration with keys. The usage ledger lives in the /data volume; one container per ledger file.

# 1. Build: restore first (its layer is cached while only sources change), then publish the host.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props AkkaProxy.sln ./
COPY src/Pipeline/AkkaProxy.Pipeline.csproj src/Pipeline/
COPY src/Hosting/AkkaProxy.Hosting.csproj src/Hosting/
COPY src/Ledger.Sqlite/AkkaProxy.Ledger.Sqlite.csproj src/Ledger.Sqlite/
COPY src/Ledger.Postgres/AkkaProxy.Ledger.Postgres.csproj src/Ledger.Postgres/
COPY src/Cluster/AkkaProxy.Cluster.csproj src/Cluster/
COPY src/Host/AkkaProxy.Host.csproj src/Host/
RUN dotnet restore src/Host/AkkaProxy.Host.csproj
COPY hocon/ hocon/
COPY src/ src/
RUN dotnet publish src/Host/AkkaProxy.Host.csproj -c Release --no-restore -o /app/publish

# 2. Run: the ASP.NET Core runtime only, as the image's unprivileged user.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app/publish ./
ENV ASPNETCORE_URLS=http://+:8080 \
    AKKAPROXY_DATA_DIR=/data
RUN mkdir -p /data hocon && chown "$APP_UID" /data
VOLUME /data
USER $APP_UID
EXPOSE 8080
# The relay checks itself: the runtime image has no curl, and --check-ready needs none.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["dotnet", "AkkaProxy.Host.dll", "--check-ready", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["dotnet", "AkkaProxy.Host.dll"]

using PuppeteerSharp;

namespace AkkaProxy.Host.Tests.Browser;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, installed by scripts/setup-test-deps.sh), headless,
/// driven by PuppeteerSharp, which never downloads a browser here: it is handed the executable. The
/// flags keep Chromium off the network it has no business with (these machines have none beyond the
/// test's own sockets); each launch has a fresh profile, deleted afterwards.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly string _profile;

    private HeadlessChromium(IBrowser browser, string profile)
    {
        Browser = browser;
        _profile = profile;
    }

    public IBrowser Browser { get; }

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: run scripts/setup-test-deps.sh as root (it installs Debian's chromium package).");
        }

        string profile = Directory.CreateTempSubdirectory("akkaproxy-chromium-").FullName;
        IBrowser browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Browser = SupportedBrowser.Chromium,
            Headless = true,
            UserDataDir = profile,
            Timeout = 60_000,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        });
        return new HeadlessChromium(browser, profile);
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync();
        await Browser.DisposeAsync();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium's last writes to its profile may still be landing; the temporary folder is the OS's to clean.
        }
    }
}

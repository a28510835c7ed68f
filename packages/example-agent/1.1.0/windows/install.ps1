# Installs example-agent 1.1.0: config and version marker only, idempotent, no network access.
$ErrorActionPreference = 'Stop'
$version = '1.1.0'
$root = Join-Path $env:ProgramData 'ExampleAgent'
New-Item -ItemType Directory -Force -Path $root | Out-Null
Copy-Item -Force -Path (Join-Path $PSScriptRoot 'agent.conf') -Destination (Join-Path $root 'agent.conf')
$logLevel = if ($env:LOG_LEVEL) { $env:LOG_LEVEL } else { 'info' }
Set-Content -Path (Join-Path $root 'runtime.conf') -Value "log_level = $logLevel"
Set-Content -Path (Join-Path $root 'VERSION') -Value $version
Write-Output "example-agent $version installed"

# Installs example-agent 1.1.0: config and version marker only, idempotent, no network access.
$ErrorActionPreference = 'Stop'
$version = '1.1.0'
$root = Join-Path $env:ProgramData 'ExampleAgent'
New-Item -ItemType Directory -Force -Path $root | Out-Null
Copy-Item -Force -Path (Join-Path $PSScriptRoot 'agent.conf') -Destination (Join-Path $root 'agent.conf')
# additionalArguments arrive as environment variables; the SSM Agent accepts only SSM_-prefixed keys.
$logLevel = if ($env:SSM_LOG_LEVEL) { $env:SSM_LOG_LEVEL } else { 'info' }
Set-Content -Path (Join-Path $root 'runtime.conf') -Value "log_level = $logLevel"
# The agent resolved {{ssm:/aft-fleet/...}} before the script ran: the key is never in the association.
if ($env:SSM_ACTIVATION_KEY) {
  $activation = Join-Path $root 'activation.conf'
  Set-Content -Path $activation -Value "activation_key = $($env:SSM_ACTIVATION_KEY)"
  icacls $activation /inheritance:r /grant:r 'SYSTEM:F' 'Administrators:F' | Out-Null
}
Set-Content -Path (Join-Path $root 'VERSION') -Value $version
Write-Output "example-agent $version installed"

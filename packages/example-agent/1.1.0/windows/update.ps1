# In-place update of example-agent to 1.1.0: rewrites config and marker, keeps local state.
$ErrorActionPreference = 'Stop'
& (Join-Path $PSScriptRoot 'install.ps1')

"""aft-fleet: tag EC2 instances that have no environment tag with <TagKey>=<TagValue> (Default).

Runs as the aws:executeScript step of the aft-fleet-TagUntaggedNodes runbook (python3.11), once per
account and Region on the association's schedule. A maintenance window target cannot select "tag
missing", so this is how untagged nodes reach the default window. Left alone:
- instances that have the tag with any value (an environment, Default, or the opt-out value);
- instances of Auto Scaling groups, EKS and ECS: they are replaced from patched images, not patched in
  place (aws:autoscaling:groupName, eks:/kubernetes.io/cluster/ tags, AmazonECSManaged).
aws:executeScript does not retry throttled calls itself (Automation action reference), so the client
uses botocore's standard retry mode.
"""
import boto3
from botocore.config import Config

# Tags that mark an instance as managed by Auto Scaling, EKS or ECS.
MANAGED_KEYS = ("aws:autoscaling:groupName", "eks:cluster-name", "aws:eks:cluster-name", "eks:nodegroup-name", "aws:ecs:clusterName", "AmazonECSManaged")
MANAGED_PREFIXES = ("kubernetes.io/cluster/", "k8s.io/cluster-autoscaler/", "alpha.eksctl.io/", "eks:")
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
BATCH = 100
# Ids listed in the step's output: an Automation step output is bounded (aws:executeScript returns at
# most 100 KB of payload, Automation action reference), so counts are complete and lists are samples.
LISTED = 50


def managed_elsewhere(keys):
    return any(k in MANAGED_KEYS or k.startswith(MANAGED_PREFIXES) for k in keys)


def handler(events, context):
    key = events["TagKey"]
    value = events["TagValue"]
    ec2 = boto3.client("ec2", config=Config(retries={"mode": "standard", "max_attempts": 10}))
    untagged, managed = [], []
    pages = ec2.get_paginator("describe_instances").paginate(Filters=[{"Name": "instance-state-name", "Values": LIVE_STATES}])
    for page in pages:
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                keys = {t["Key"] for t in instance.get("Tags", [])}
                if key in keys:
                    continue
                (managed if managed_elsewhere(keys) else untagged).append(instance["InstanceId"])
    untagged.sort()
    for start in range(0, len(untagged), BATCH):
        ec2.create_tags(Resources=untagged[start:start + BATCH], Tags=[{"Key": key, "Value": value}])
    managed.sort()
    return {"taggedCount": len(untagged), "tagged": untagged[:LISTED], "leftManagedCount": len(managed), "leftManaged": managed[:LISTED]}

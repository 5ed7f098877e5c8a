"""
An independent producer and consumer for Sluice's interop tests: Confluent's own Python client
(confluent-kafka, with its schema-registry serialisers) writes and reads Avro and Protobuf
records framed for a Confluent-compatible registry.

  confluent_io.py produce avro|protobuf <topic> <count>     one JSON line of what it wrote
  confluent_io.py consume avro|protobuf <topic> <count>     JSON lines of what it read

Environment: SLUICE_KAFKA_BROKERS, SCHEMA_REGISTRY_URL.
"""
import json
import os
import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringDeserializer, StringSerializer
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

ORDER_AVRO = json.dumps({
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "cents", "type": "long"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
})
TOTAL_AVRO = json.dumps({
    "type": "record",
    "name": "Total",
    "namespace": "shop",
    "fields": [{"name": "id", "type": "string"}, {"name": "total", "type": "long"}],
})


def message_classes():
    """shop.Order and shop.Total, built at run time (no protoc here): a Ping first, so Order's
    message index is [1], not the shortcut [0]."""
    f = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="shop.proto", package="shop", syntax="proto3")
    fdp.message_type.add(name="Ping").field.add(name="n", number=1, type=f.TYPE_INT32, label=f.LABEL_OPTIONAL)
    order = fdp.message_type.add(name="Order")
    order.field.add(name="id", number=1, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    order.field.add(name="cents", number=2, type=f.TYPE_INT64, label=f.LABEL_OPTIONAL)
    order.field.add(name="tags", number=3, type=f.TYPE_STRING, label=f.LABEL_REPEATED)
    total = fdp.message_type.add(name="Total")
    total.field.add(name="id", number=1, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    total.field.add(name="total", number=2, type=f.TYPE_INT64, label=f.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    fd = pool.Add(fdp)
    return (
        message_factory.GetMessageClass(fd.message_types_by_name["Order"]),
        message_factory.GetMessageClass(fd.message_types_by_name["Total"]),
    )


def produce(fmt, topic, count):
    registry = SchemaRegistryClient({"url": os.environ["SCHEMA_REGISTRY_URL"]})
    producer = Producer({"bootstrap.servers": os.environ["SLUICE_KAFKA_BROKERS"]})
    keys = StringSerializer("utf_8")
    written = []
    if fmt == "avro":
        serializer = AvroSerializer(registry, ORDER_AVRO)
    else:
        Order, _ = message_classes()
        serializer = ProtobufSerializer(Order, registry, {"use.deprecated.format": False})
    for i in range(count):
        value = {"id": f"o{i}", "cents": 100 + i, "tags": [f"t{i % 3}"], "note": None if i % 2 else f"n{i}"}
        if fmt == "protobuf":
            del value["note"]
            obj = Order(id=value["id"], cents=value["cents"], tags=value["tags"])
        else:
            obj = value
        ctx = SerializationContext(topic, MessageField.VALUE)
        producer.produce(topic, key=keys(value["id"]), value=serializer(obj, ctx), partition=0)
        written.append(value)
    producer.flush(30)
    print(json.dumps(written))


def consume(fmt, topic, count):
    registry = SchemaRegistryClient({"url": os.environ["SCHEMA_REGISTRY_URL"]})
    consumer = Consumer({
        "bootstrap.servers": os.environ["SLUICE_KAFKA_BROKERS"],
        "group.id": f"confluent-io-{topic}",
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    if fmt == "avro":
        deserializer = AvroDeserializer(registry)
    else:
        _, Total = message_classes()
        deserializer = ProtobufDeserializer(Total, {"use.deprecated.format": False})
    keys = StringDeserializer("utf_8")
    seen = 0
    idle = 0
    while seen < count and idle < 60:
        msg = consumer.poll(0.5)
        if msg is None:
            idle += 1
            continue
        if msg.error():
            raise SystemExit(f"consume error: {msg.error()}")
        value = deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE))
        if fmt == "protobuf":
            value = json_format.MessageToDict(value, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
        print(json.dumps({"key": keys(msg.key()), "value": value, "schema_id": int.from_bytes(msg.value()[1:5], "big")}), flush=True)
        seen += 1
    consumer.close()
    if seen < count:
        raise SystemExit(f"read {seen} of {count} records from {topic}")


if __name__ == "__main__":
    mode, fmt, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    (produce if mode == "produce" else consume)(fmt, topic, count)

import type { RawRecord } from '../event/types';
import type { FunctionDefinition } from './definition';

/**
 * Runs the serdes' asynchronous preparation before a batch is decoded and processed: the source
 * serdes look up every schema id the records name (once per process), the sinks' serdes the id
 * of their output schema. Plain serdes have no hooks and cost nothing here. A registry that is
 * down throws a retriable error, failing the batch before anything is decoded.
 */
export async function prepareSerdes(definition: FunctionDefinition, records: RawRecord[]): Promise<void> {
  const { key, value } = definition.source;
  const work: Array<Promise<void>> = [];
  if (key.prepareDeserialize) {
    work.push(
      key.prepareDeserialize(
        records.map((r) => ({
          bytes: r.key,
          context: r.keySchemaMetadata && { schema: r.keySchemaMetadata },
        })),
      ),
    );
  }
  if (value.prepareDeserialize) {
    work.push(
      value.prepareDeserialize(
        records.map((r) => ({
          bytes: r.value,
          context: r.valueSchemaMetadata && { schema: r.valueSchemaMetadata },
        })),
      ),
    );
  }
  for (const sink of Object.values(definition.sinks)) {
    if (sink.key.prepareSerialize) work.push(sink.key.prepareSerialize({ topic: sink.target, part: 'key' }));
    if (sink.value.prepareSerialize)
      work.push(sink.value.prepareSerialize({ topic: sink.target, part: 'value' }));
  }
  await Promise.all(work);
}

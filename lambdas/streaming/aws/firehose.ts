import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { Deliver } from './handler';

/** Firehose takes at most 500 records per PutRecordBatch call. */
const MAX_RECORDS_PER_CALL = 500;

/** Delivers result lines to one Firehose stream; resolves to the indexes Firehose did not accept. */
export function firehoseDeliverer(deliveryStreamName: string, client = new FirehoseClient({})): Deliver {
  return async (lines) => {
    const failed: number[] = [];
    for (let start = 0; start < lines.length; start += MAX_RECORDS_PER_CALL) {
      const chunk = lines.slice(start, start + MAX_RECORDS_PER_CALL);
      const out = await client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: chunk.map((line) => ({ Data: Buffer.from(`${line}\n`) })) }),
      );
      if ((out.FailedPutCount ?? 0) > 0) {
        out.RequestResponses?.forEach((response, i) => {
          if (response.ErrorCode) failed.push(start + i);
        });
      }
    }
    return failed;
  };
}
